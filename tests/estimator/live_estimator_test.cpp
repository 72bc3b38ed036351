// The real wanctl-estimator process between real shared-memory rings: the
// test plays the prober (samples ring) and the actuator (telemetry block)
// and reads the decisions ring and the status block, as the tap would.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <fstream>

#include "live_process.hpp"
#include "replay_helpers.hpp"
#include "run_command.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

constexpr int kDown = 0;
constexpr std::array<double, 3> kBaseRttMs = {20.0, 25.0, 30.0};

struct LiveFixture {
  std::string instance = unique_instance("est");
  TempDir dir;
  ObjectCleanup samples_object{object_name(instance, "samples")};
  ObjectCleanup decisions_object{object_name(instance, "decisions")};
  ObjectCleanup telemetry_object{object_name(instance, "telemetry")};
  ObjectCleanup status_object{object_name(instance, "status")};
  std::string config_path = dir.path("wan.toml");
  std::string log_path = dir.path("estimator.log");
  std::string state_path = dir.path("estimator.state");
  std::string program = program_path("WANCTL_ESTIMATOR");

  LiveFixture() {
    REQUIRE_FALSE(program.empty());
    write_config({});
  }

  void write_config(const ConfigText& extra) const {
    std::ofstream(config_path, std::ios::trunc) << wan_config_text(extra, instance, 3, state_path);
  }

  std::string log() const { return read_file(log_path); }
};

// Feeds replies round robin at 20 probes/s for `seconds`, with `extra_ms`
// of queue on every RTT, and telemetry every 100 ms when a feeder is given.
// Returns the id of the first sample pushed.
std::uint64_t feed(SampleFeeder& samples, TelemetryFeeder* telemetry, double seconds, double extra_ms,
                   double down_mbps = 90.0, double up_mbps = 18.0) {
  auto next = std::chrono::steady_clock::now();
  auto steps = static_cast<int>(seconds * 20.0);
  std::uint64_t first_id = 0;
  for (int i = 0; i < steps; ++i) {
    auto reflector = static_cast<std::uint16_t>(i % 3);
    double jitter_ms = 0.1 * (i % 7);
    std::uint64_t id = samples.reply(reflector, kBaseRttMs[reflector] + extra_ms + jitter_ms);
    first_id = i == 0 ? id : first_id;
    if (telemetry != nullptr && i % 2 == 0) {
      telemetry->publish(down_mbps, up_mbps);
    }
    next += std::chrono::milliseconds(50);
    std::this_thread::sleep_until(next);
  }
  return first_id;
}

std::vector<RateDecision> read_decisions(const std::string& instance) {
  std::string name = object_name(instance, "decisions");
  RingReader<RateDecision> reader = RingReader<RateDecision>::observer(name);
  reader.seek_oldest();
  std::vector<RateDecision> decisions;
  while (auto entry = reader.try_read()) {
    decisions.push_back(entry->record);
  }
  return decisions;
}

EstimatorStatus read_status(const std::string& instance) {
  auto snapshot = BlockReader<EstimatorStatus>::open(object_name(instance, "status")).read();
  REQUIRE(snapshot.has_value());
  return snapshot->record;
}

void wait_for_object(const std::string& name) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  struct stat info {};
  while (::stat(object_path(name).c_str(), &info) != 0) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

// Waits until the status block shows at least `samples` samples used.
void wait_for_samples_used(const std::string& instance, std::uint64_t samples) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (read_status(instance).samples_used < samples) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void stop(EstimatorProcess& process) {
  process.signal(SIGTERM);
  std::optional<int> status = process.wait_for(std::chrono::seconds(3));
  REQUIRE(status.has_value());
  CHECK(*status == 0);
}

}  // namespace

TEST_CASE("live estimator cuts on bloat and sends heartbeats") {
  LiveFixture fixture;
  SampleFeeder samples(fixture.instance);
  EstimatorProcess process(fixture.program, fixture.config_path, fixture.log_path);
  wait_for_object(object_name(fixture.instance, "decisions"));

  // No telemetry block yet: the estimator must run on delay alone.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  feed(samples, nullptr, 0.5, 0.0);
  TelemetryFeeder telemetry(fixture.instance);
  // Light load first: the rate stays at base, so heartbeats carry the time.
  feed(samples, &telemetry, 2.5, 0.0, 5.0, 1.0);
  feed(samples, &telemetry, 1.0, 0.0);
  std::uint64_t first_bloated_id = feed(samples, &telemetry, 1.5, 100.0);
  wait_for_samples_used(fixture.instance, first_bloated_id + 30);

  std::vector<RateDecision> decisions = read_decisions(fixture.instance);
  EstimatorStatus status = read_status(fixture.instance);
  stop(process);

  REQUIRE(decisions.size() >= 5);
  const RateDecision* cut = nullptr;
  for (const RateDecision& decision : decisions) {
    if (decision.directions[kDown].rate_bps < 100'000'000) {
      cut = &decision;
      break;
    }
  }
  REQUIRE(cut != nullptr);
  CHECK(cut->cause_sample_id >= first_bloated_id);
  CHECK(cut->cause_sample_id <= first_bloated_id + 2);
  CHECK(cut->directions[kDown].bufferbloat == 1);
  CHECK(cut->directions[kDown].apply == 1);
  // 90 Mbit/s achieved before the bloat, cut to 90 % of it for a 100 ms queue.
  CHECK(cut->directions[kDown].rate_bps == doctest::Approx(81e6).epsilon(0.05));
  CHECK(cut->directions[kDown].achieved_rate_bps == doctest::Approx(90e6).epsilon(0.1));

  // Decision ids count up without a gap, and a decision (a heartbeat when
  // nothing changed) comes at least once per second.
  std::size_t heartbeats = 0;
  for (std::size_t i = 1; i < decisions.size(); ++i) {
    CHECK(decisions[i].decision_id == decisions[i - 1].decision_id + 1);
    double gap_s = static_cast<double>(decisions[i].time_mono_ns - decisions[i - 1].time_mono_ns) / 1e9;
    CHECK(gap_s <= 1.2);
    heartbeats += decisions[i].heartbeat;
  }
  CHECK(heartbeats >= 2);

  REQUIRE(status.reflector_count == 3);
  for (std::uint32_t r = 0; r < 3; ++r) {
    CHECK(status.reflectors[r].has_baseline == 1);
    CHECK(status.reflectors[r].baseline_rtt_us == doctest::Approx(kBaseRttMs[r] * 1000.0).epsilon(0.05));
  }
  CHECK(status.samples_rejected == 0);

  std::string log = fixture.log();
  CHECK(log.find("telemetry block not available") != std::string::npos);
  CHECK(log.find("attached to telemetry block") != std::string::npos);
  CHECK(log.find("stopped") != std::string::npos);
  CHECK(log.find("estimator[" + fixture.instance + "]") != std::string::npos);
  struct stat info {};
  CHECK(::stat(fixture.state_path.c_str(), &info) == 0);
}

TEST_CASE("live estimator restores after kill and reboot and skips stale samples") {
  LiveFixture fixture;
  SampleFeeder samples(fixture.instance);
  TelemetryFeeder telemetry(fixture.instance);
  telemetry.publish(90.0, 18.0);

  EstimatorStatus before{};
  {
    EstimatorProcess first(fixture.program, fixture.config_path, fixture.log_path);
    wait_for_object(object_name(fixture.instance, "decisions"));
    feed(samples, &telemetry, 3.0, 0.0);
    feed(samples, &telemetry, 1.0, 100.0);
    feed(samples, &telemetry, 0.5, 0.0);
    wait_for_samples_used(fixture.instance, 90);
    before = read_status(fixture.instance);
    REQUIRE(before.directions[kDown].rate_bps < 100'000'000);
    first.signal(SIGKILL);
    REQUIRE(first.wait_for(std::chrono::seconds(2)).has_value());
  }

  // Samples written while the estimator was down, now 10 s old, with a
  // queue that would cause a cut if they were used.
  for (int i = 0; i < 200; ++i) {
    samples.reply(static_cast<std::uint16_t>(i % 3), 500.0, 10'000'000'000);
  }

  SUBCASE("kill: restored from the status block") {
    EstimatorProcess second(fixture.program, fixture.config_path, fixture.log_path);
    feed(samples, &telemetry, 1.5, 0.0);
    wait_for_samples_used(fixture.instance, before.samples_used + 30);
    EstimatorStatus after = read_status(fixture.instance);
    std::vector<RateDecision> decisions = read_decisions(fixture.instance);
    stop(second);

    CHECK(after.samples_skipped == 200);
    CHECK(after.directions[kDown].rate_bps == before.directions[kDown].rate_bps);
    REQUIRE(after.reflector_count == 3);
    for (std::uint32_t r = 0; r < 3; ++r) {
      CHECK(after.reflectors[r].has_baseline == 1);
      CHECK(after.reflectors[r].baseline_rtt_us == doctest::Approx(before.reflectors[r].baseline_rtt_us).epsilon(0.02));
      CHECK(after.reflectors[r].samples > before.reflectors[r].samples);
    }
    for (const RateDecision& decision : decisions) {
      if (decision.decision_id > before.decision_id) {
        CHECK(decision.directions[kDown].bufferbloat == 0);
        CHECK(decision.directions[kDown].rate_bps == before.directions[kDown].rate_bps);
      }
    }
    CHECK(decisions.back().decision_id > before.decision_id);
    std::string log = fixture.log();
    CHECK(log.find("restored from status block") != std::string::npos);
    CHECK(log.find("skipped 200 samples") != std::string::npos);
  }

  SUBCASE("reboot: restored from the state file") {
    // A clean stop writes the state file; a reboot empties /dev/shm.
    {
      EstimatorProcess second(fixture.program, fixture.config_path, fixture.log_path);
      feed(samples, &telemetry, 0.5, 0.0);
      stop(second);
    }
    SharedObject::remove(object_name(fixture.instance, "status"));
    SharedObject::remove(object_name(fixture.instance, "decisions"));

    EstimatorProcess third(fixture.program, fixture.config_path, fixture.log_path);
    feed(samples, &telemetry, 1.0, 0.0);
    wait_for_samples_used(fixture.instance, before.samples_used + 20);
    EstimatorStatus after = read_status(fixture.instance);
    std::vector<RateDecision> decisions = read_decisions(fixture.instance);
    stop(third);

    CHECK(fixture.log().find("restored from state file") != std::string::npos);
    REQUIRE_FALSE(decisions.empty());
    CHECK(decisions.front().decision_id > before.decision_id);
    CHECK(decisions.front().directions[kDown].rate_bps == before.directions[kDown].rate_bps);
    CHECK(after.reflectors[0].baseline_rtt_us == doctest::Approx(before.reflectors[0].baseline_rtt_us).epsilon(0.02));
  }
}

TEST_CASE("live estimator keeps its config when a reload is invalid") {
  LiveFixture fixture;
  TelemetryFeeder telemetry(fixture.instance);
  EstimatorProcess process(fixture.program, fixture.config_path, fixture.log_path);
  wait_for_object(object_name(fixture.instance, "decisions"));

  // The prober starts after the estimator, which retries attaching.
  SampleFeeder samples(fixture.instance);
  feed(samples, &telemetry, 1.5, 0.0);
  wait_for_samples_used(fixture.instance, 20);
  CHECK(fixture.log().find("samples ring not available, retrying every second") != std::string::npos);

  std::string text = wan_config_text({}, fixture.instance, 3, fixture.state_path);
  text.replace(text.find("max_rate_mbps = 200"), 19, "max_rate_mbps = 5");
  std::ofstream(fixture.config_path, std::ios::trunc) << text;
  process.signal(SIGHUP);
  feed(samples, &telemetry, 0.5, 0.0);
  CHECK(process.running());
  std::string log = fixture.log();
  CHECK(log.find("reload of " + fixture.config_path + " failed, keeping the running configuration") !=
        std::string::npos);
  CHECK(log.find("estimator.download.max_rate_mbps = 5") != std::string::npos);
  CHECK(read_decisions(fixture.instance).back().directions[kDown].apply == 1);

  ConfigText monitor;
  monitor.download = "monitor_only = true\n";
  fixture.write_config(monitor);
  process.signal(SIGHUP);
  feed(samples, &telemetry, 0.5, 0.0);
  feed(samples, &telemetry, 1.0, 100.0);
  std::vector<RateDecision> decisions = read_decisions(fixture.instance);
  stop(process);

  CHECK(fixture.log().find("reloaded " + fixture.config_path) != std::string::npos);
  const RateDecision& last = decisions.back();
  CHECK(last.directions[kDown].apply == 0);
  CHECK(last.directions[kDown].rate_bps == 100'000'000);
  CHECK(last.directions[kDown].bufferbloat == 1);
  CHECK(last.directions[1].apply == 1);
  CHECK(last.directions[1].rate_bps < 20'000'000);
}

// The control loop against a real decisions ring and telemetry block, with
// an in-memory shaper: newest-only, monitor-only, staleness, restarts, dead
// band, failures, credentials and telemetry references.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "actuator.hpp"
#include "fake_shaper.hpp"
#include "latest_block.hpp"
#include "mono_time.hpp"
#include "object_name.hpp"
#include "ring.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMbit = 1'000'000;

struct Fixture {
  Fixture()
      : instance(test::unique_instance("act")),
        decisions_cleanup(object_name(instance, "decisions")),
        telemetry_cleanup(object_name(instance, "telemetry")) {
    config.instance = instance;
    config.actuator.configured = true;
    config.actuator.directions[0] = ActuatorTarget{};
    config.actuator.directions[1] = ActuatorTarget{};
    config.actuator.telemetry_interval_ms = 50;
    config.actuator.retry_initial_ms = 20;
    config.actuator.retry_max_ms = 40;
    config.actuator.attach_retry_ms = 20;
    config.actuator.routeros.credential_recheck_s = 1;
  }

  RingWriter<RateDecision> open_ring() {
    return RingWriter<RateDecision>::open(object_name(instance, "decisions"), 64, false);
  }

  // Runs the loop until `done()` is true or `limit` passes; returns `done()`.
  template <typename Predicate>
  bool run_until(Actuator& actuator, Predicate done, std::chrono::milliseconds limit = 1000ms) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      actuator.run_once(10ms);
    }
    return done();
  }

  void run_for(Actuator& actuator, std::chrono::milliseconds span) {
    run_until(actuator, [] { return false; }, span);
  }

  std::string instance;
  test::ObjectCleanup decisions_cleanup;
  test::ObjectCleanup telemetry_cleanup;
  WanConfig config;
  test::FakeShaper shaper;
};

RateDecision decision(std::uint64_t id, std::uint64_t down_bps, std::uint64_t up_bps, std::int64_t age_ns = 0) {
  RateDecision record{};
  record.decision_id = id;
  record.time_mono_ns = monotonic_now_ns() - age_ns;
  record.cause_recv_mono_ns = record.time_mono_ns - 1'000'000;
  record.directions[0].rate_bps = down_bps;
  record.directions[0].apply = 1;
  record.directions[1].rate_bps = up_bps;
  record.directions[1].apply = 1;
  return record;
}

}  // namespace

TEST_CASE("actuator applies only the newest queued decision") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  ring.push(decision(1, 10 * kMbit, 5 * kMbit));
  ring.push(decision(2, 20 * kMbit, 6 * kMbit));
  ring.push(decision(3, 30 * kMbit, 7 * kMbit));

  REQUIRE(fixture.run_until(actuator, [&] { return fixture.shaper.writes.size() >= 2; }));
  fixture.run_for(actuator, 100ms);

  CHECK(fixture.shaper.writes_for(Direction::download) == std::vector<std::uint64_t>{30 * kMbit});
  CHECK(fixture.shaper.writes_for(Direction::upload) == std::vector<std::uint64_t>{7 * kMbit});
  CHECK(actuator.telemetry().last_applied_decision_id == 3U);
  CHECK(actuator.telemetry().device_writes == 2U);
}

TEST_CASE("actuator never writes a monitor-only direction") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  RateDecision record = decision(1, 10 * kMbit, 5 * kMbit);
  record.directions[1].apply = 0;
  ring.push(record);

  REQUIRE(fixture.run_until(actuator, [&] { return !fixture.shaper.writes.empty(); }));
  fixture.run_for(actuator, 100ms);
  CHECK(fixture.shaper.writes_for(Direction::upload).empty());
  CHECK(fixture.shaper.writes_for(Direction::download) == std::vector<std::uint64_t>{10 * kMbit});
}

TEST_CASE("actuator drops a stale decision") {
  Fixture fixture;
  fixture.config.actuator.decision_max_age_ms = 500;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  fixture.run_for(actuator, 50ms);  // attached, so the push below is live, not backlog
  ring.push(decision(1, 10 * kMbit, 5 * kMbit, 2'000'000'000));
  fixture.run_for(actuator, 150ms);
  CHECK(fixture.shaper.writes.empty());
}

TEST_CASE("actuator ignores a zero rate") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  ring.push(decision(1, 0, 5 * kMbit));
  REQUIRE(fixture.run_until(actuator, [&] { return !fixture.shaper.writes.empty(); }));
  fixture.run_for(actuator, 50ms);
  CHECK(fixture.shaper.writes_for(Direction::download).empty());
}

TEST_CASE("restarted actuator does not apply a decision twice") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  {
    Actuator first(fixture.config, fixture.shaper, false);
    ring.push(decision(5, 10 * kMbit, 5 * kMbit));
    REQUIRE(fixture.run_until(first, [&] { return fixture.shaper.writes.size() == 2; }));
  }

  // While it is down, the device is changed by hand and a duplicate of the
  // applied decision appears: neither may be overridden by old decisions.
  fixture.shaper.sides[0].rate_bps = 77 * kMbit;
  ring.push(decision(5, 10 * kMbit, 5 * kMbit));
  fixture.shaper.writes.clear();
  {
    Actuator second(fixture.config, fixture.shaper, false);
    fixture.run_for(second, 200ms);
    CHECK(fixture.shaper.writes.empty());
    CHECK(second.telemetry().last_applied_decision_id == 5U);
    CHECK(second.telemetry().directions[0].applied_rate_bps == 77 * kMbit);

    // A fresh decision after the restart converges from the device's rate.
    ring.push(decision(6, 20 * kMbit, 5 * kMbit));
    REQUIRE(fixture.run_until(second, [&] { return !fixture.shaper.writes.empty(); }));
    CHECK(fixture.shaper.writes_for(Direction::download) == std::vector<std::uint64_t>{20 * kMbit});
    CHECK(fixture.shaper.writes_for(Direction::upload).empty());  // already at 5 Mbit/s
  }
}

TEST_CASE("restarted actuator applies a fresh decision queued while down") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  {
    Actuator first(fixture.config, fixture.shaper, false);
    ring.push(decision(1, 10 * kMbit, 5 * kMbit));
    REQUIRE(fixture.run_until(first, [&] { return fixture.shaper.writes.size() == 2; }));
  }
  ring.push(decision(2, 30 * kMbit, 5 * kMbit));
  ring.push(decision(3, 40 * kMbit, 5 * kMbit));
  fixture.shaper.writes.clear();
  Actuator second(fixture.config, fixture.shaper, false);
  REQUIRE(fixture.run_until(second, [&] { return !fixture.shaper.writes.empty(); }));
  CHECK(fixture.shaper.writes_for(Direction::download) == std::vector<std::uint64_t>{40 * kMbit});
}

TEST_CASE("actuator dead band skips small changes") {
  Fixture fixture;
  fixture.config.actuator.dead_band_percent = 2.0;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);  // device at 50 Mbit/s
  fixture.run_for(actuator, 30ms);
  RateDecision small = decision(1, 50'900'000, 50'000'000);
  ring.push(small);
  fixture.run_for(actuator, 100ms);
  CHECK(fixture.shaper.writes.empty());

  ring.push(decision(2, 52 * kMbit, 50 * kMbit));
  REQUIRE(fixture.run_until(actuator, [&] { return !fixture.shaper.writes.empty(); }));
  CHECK(fixture.shaper.writes_for(Direction::download) == std::vector<std::uint64_t>{52 * kMbit});
}

TEST_CASE("actuator minimum write interval holds the newest decision") {
  Fixture fixture;
  fixture.config.actuator.min_write_interval_ms = 1000;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  fixture.config.actuator.directions[1].reset();
  ring.push(decision(1, 10 * kMbit, 50 * kMbit));
  REQUIRE(fixture.run_until(actuator, [&] { return fixture.shaper.writes.size() == 1; }));
  ring.push(decision(2, 20 * kMbit, 50 * kMbit));
  ring.push(decision(3, 30 * kMbit, 50 * kMbit));
  fixture.run_for(actuator, 300ms);
  CHECK(fixture.shaper.writes.size() == 1);
  REQUIRE(fixture.run_until(actuator, [&] { return fixture.shaper.writes.size() == 2; }, 1500ms));
  CHECK(fixture.shaper.writes_for(Direction::download) == std::vector<std::uint64_t>{10 * kMbit, 30 * kMbit});
}

TEST_CASE("failed write is not applied and is retried with the newest decision") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  fixture.shaper.sides[0].write_status = ShaperStatus::transient;
  fixture.shaper.sides[1].rate_bps = 5 * kMbit;
  Actuator actuator(fixture.config, fixture.shaper, false);
  ring.push(decision(1, 10 * kMbit, 5 * kMbit));
  REQUIRE(fixture.run_until(actuator, [&] { return !fixture.shaper.writes.empty(); }));
  fixture.run_for(actuator, 60ms);

  const LinkTelemetry& telemetry = actuator.telemetry();
  CHECK(telemetry.last_applied_decision_id == 0U);
  CHECK(telemetry.device_writes == 0U);
  CHECK(telemetry.device_write_errors >= 1U);
  CHECK(telemetry.directions[0].device_state == DeviceState::failing);
  CHECK(telemetry.directions[0].applied_rate_bps == 50 * kMbit);
  CHECK(std::string(telemetry.last_error).find("fake write refused") != std::string::npos);

  fixture.shaper.sides[0].write_status = ShaperStatus::ok;
  ring.push(decision(2, 12 * kMbit, 5 * kMbit));
  REQUIRE(fixture.run_until(actuator, [&] { return actuator.telemetry().last_applied_decision_id == 2; }));
  std::vector<std::uint64_t> downloads = fixture.shaper.writes_for(Direction::download);
  CHECK(downloads.back() == 12 * kMbit);
  CHECK(actuator.telemetry().directions[0].device_state == DeviceState::ok);
  CHECK(actuator.telemetry().directions[0].applied_rate_bps == 12 * kMbit);
}

TEST_CASE("unauthorized device stops writes") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  fixture.config.actuator.directions[1].reset();
  fixture.shaper.sides[0].write_status = ShaperStatus::unauthorized;
  Actuator actuator(fixture.config, fixture.shaper, false);
  ring.push(decision(1, 10 * kMbit, 0));
  REQUIRE(fixture.run_until(actuator, [&] { return !fixture.shaper.writes.empty(); }));
  int reads_after_refusal = fixture.shaper.reads;

  for (std::uint64_t id = 2; id < 10; ++id) {
    ring.push(decision(id, id * kMbit, 0));
    fixture.run_for(actuator, 40ms);
  }
  CHECK(fixture.shaper.writes.size() == 1);
  CHECK(fixture.shaper.reads == reads_after_refusal);  // no login attempts until the recheck
  CHECK(actuator.telemetry().directions[0].device_state == DeviceState::unauthorized);
  CHECK(std::string(actuator.telemetry().last_error).find("writes stopped") != std::string::npos);

  // Credentials fixed: the recheck read succeeds and writes resume.
  fixture.shaper.sides[0].write_status = ShaperStatus::ok;
  ring.push(decision(20, 20 * kMbit, 0));
  REQUIRE(fixture.run_until(actuator, [&] { return fixture.shaper.writes.size() == 2; }, 2500ms));
  CHECK(fixture.shaper.writes.back().second == 20 * kMbit);
}

TEST_CASE("telemetry first reading is a reference and resets give zero") {
  Fixture fixture;
  fixture.config.actuator.directions[1].reset();
  fixture.shaper.sides[0].counters.bytes = 9'000'000'000ULL;  // counted since boot
  Actuator actuator(fixture.config, fixture.shaper, false);
  auto reader = BlockReader<LinkTelemetry>::open(object_name(fixture.instance, "telemetry"));

  auto first = reader.read();
  REQUIRE(first);
  CHECK(first->record.directions[0].valid == 0);
  CHECK(first->record.directions[0].achieved_rate_bps == 0U);
  CHECK(first->record.directions[0].bytes_total == 9'000'000'000ULL);

  fixture.shaper.sides[0].counters.bytes += 62'500;  // 500 kbit in one telemetry interval
  REQUIRE(fixture.run_until(actuator, [&] { return reader.read()->version >= 2; }));
  auto second = reader.read();
  CHECK(second->record.directions[0].valid == 1);
  REQUIRE(second->record.interval_ns > 0);
  double expected_bps = 500'000.0 * 1e9 / static_cast<double>(second->record.interval_ns);
  CHECK(static_cast<double>(second->record.directions[0].achieved_rate_bps) ==
        doctest::Approx(expected_bps).epsilon(0.02));

  fixture.shaper.sides[0].counters.bytes = 1'000;  // qdisc recreated
  REQUIRE(fixture.run_until(actuator, [&] { return reader.read()->version >= 3; }));
  auto third = reader.read();
  CHECK(third->record.directions[0].achieved_rate_bps == 0U);
  CHECK(third->record.directions[0].device_state == DeviceState::ok);
}

TEST_CASE("missing shaper is reported and recovers") {
  Fixture fixture;
  fixture.config.actuator.directions[1].reset();
  fixture.shaper.sides[0].read_status = ShaperStatus::missing;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  CHECK(actuator.telemetry().directions[0].device_state == DeviceState::missing);
  CHECK(actuator.telemetry().directions[0].applied_rate_bps == 0U);

  fixture.shaper.sides[0].read_status = ShaperStatus::ok;
  REQUIRE(fixture.run_until(actuator, [&] { return actuator.telemetry().directions[0].device_state == DeviceState::ok; }));
  CHECK(actuator.telemetry().directions[0].applied_rate_bps == 50 * kMbit);
}

TEST_CASE("dry run writes nothing") {
  Fixture fixture;
  fixture.config.actuator.dry_run = true;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  ring.push(decision(1, 10 * kMbit, 5 * kMbit));
  fixture.run_for(actuator, 150ms);
  CHECK(fixture.shaper.writes.empty());
  CHECK(actuator.telemetry().directions[0].device_state == DeviceState::dry_run);
  CHECK(actuator.telemetry().directions[0].applied_rate_bps == 50 * kMbit);
}

TEST_CASE("actuator attaches to a decisions ring created later") {
  Fixture fixture;
  Actuator actuator(fixture.config, fixture.shaper, false);
  fixture.run_for(actuator, 50ms);
  auto ring = fixture.open_ring();
  fixture.run_for(actuator, 50ms);
  ring.push(decision(1, 10 * kMbit, 5 * kMbit));
  REQUIRE(fixture.run_until(actuator, [&] { return fixture.shaper.writes.size() == 2; }));
}

TEST_CASE("apply latency runs from the cause sample to the confirmation") {
  Fixture fixture;
  auto ring = fixture.open_ring();
  Actuator actuator(fixture.config, fixture.shaper, false);
  fixture.run_for(actuator, 30ms);
  RateDecision record = decision(1, 10 * kMbit, 5 * kMbit);
  record.cause_recv_mono_ns = monotonic_now_ns() - 3'000'000;  // 3 ms before
  ring.push(record);
  REQUIRE(fixture.run_until(actuator, [&] { return actuator.telemetry().last_applied_decision_id == 1; }));
  CHECK(actuator.telemetry().last_apply_latency_ns >= 3'000'000);
  CHECK(actuator.telemetry().last_apply_latency_ns < 500'000'000);
}

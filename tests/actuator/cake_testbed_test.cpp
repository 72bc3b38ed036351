// CAKE driven over rtnetlink in the testbed's user-mode Linux kernel, which
// has sch_cake. Covered: set and read back (own dump and tc), other CAKE
// settings kept, non-CAKE roots rejected without grafting anything, the
// pinned handle, the interface vanishing and returning, statistics under
// load, the telemetry's achieved rate against iperf3's figure, and the
// RouterOS path through the emulator onto the real CAKE.
//
// Runs only inside `scripts/testbed exec`; the tests that need the testbed's
// namespaces read their names from the TESTBED_* environment.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cake_qdisc.hpp"
#include "latest_block.hpp"
#include "netns_support.hpp"
#include "object_name.hpp"
#include "actuator_process.hpp"
#include "process.hpp"
#include "ring.hpp"
#include "routeros_emulator_process.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMbit = 1'000'000;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// A dummy device with a root CAKE configured away from every default, so a
// change that reset any setting would show.
struct CakeDevice {
  explicit CakeDevice(std::string name) : device(std::move(name)) {
    test::shell("ip link add " + device + " type dummy");
    test::shell("ip link set " + device + " up");
    test::shell("tc qdisc add dev " + device +
                " root handle 77: cake bandwidth 50mbit diffserv4 dual-srchost nat wash overhead 18 mpu 64 rtt 50ms");
  }
  ~CakeDevice() { test::run_command("ip link del " + device); }

  nlohmann::json root_options() const {
    nlohmann::json qdiscs = nlohmann::json::parse(test::shell("tc -j qdisc show dev " + device + " root").out);
    return qdiscs.at(0);
  }

  std::string device;
};

}  // namespace

TEST_CASE("cake set and read back keeps other settings") {
  CakeDevice link("cake0");
  NetlinkSocket socket;
  CakeQdisc cake(socket, link.device);

  ShaperReading before = cake.read();
  REQUIRE_MESSAGE(before.status == ShaperStatus::ok, before.error);
  CHECK(before.rate_bps == 50 * kMbit);
  CHECK(cake.handle() == 0x00770000U);

  ShaperWrite write = cake.set_rate(20 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  CHECK(cake.read().rate_bps == 20 * kMbit);

  nlohmann::json root = link.root_options();
  CHECK(root["kind"] == "cake");
  CHECK(root["handle"] == "77:");
  const nlohmann::json& options = root["options"];
  CHECK(options["bandwidth"] == 2'500'000);  // bytes per second
  CHECK(options["diffserv"] == "diffserv4");
  CHECK(options["flowmode"] == "dual-srchost");
  CHECK(options["nat"] == true);
  CHECK(options["wash"] == true);
  CHECK(options["overhead"] == 18);
  CHECK(options["mpu"] == 64);
  CHECK(options["rtt"] == 50'000);
}

TEST_CASE("cake refuses a non-cake root and grafts nothing") {
  test::shell("ip link add cake1 type dummy && ip link set cake1 up && tc qdisc add dev cake1 root handle 5: pfifo limit 77");
  NetlinkSocket socket;
  CakeQdisc cake(socket, "cake1");
  ShaperReading reading = cake.read();
  CHECK(reading.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(reading.error, "root qdisc of cake1 is pfifo (handle 5:0), not cake"), reading.error);
  CHECK(cake.set_rate(10 * kMbit).status == ShaperStatus::missing);
  std::string shown = test::shell("tc qdisc show dev cake1").out;
  CHECK_MESSAGE(contains(shown, "pfifo 5: root"), shown);
  CHECK_FALSE(contains(shown, "cake"));

  test::shell("tc qdisc del dev cake1 root");  // back to the default root, handle 0
  CHECK(cake.set_rate(10 * kMbit).status == ShaperStatus::missing);
  CHECK_FALSE(contains(test::shell("tc qdisc show dev cake1").out, "cake"));
  test::run_command("ip link del cake1");
}

TEST_CASE("cake pinned handle survives nothing but itself") {
  CakeDevice link("cake2");
  NetlinkSocket socket;
  CakeQdisc cake(socket, link.device);
  REQUIRE(cake.set_rate(30 * kMbit).status == ShaperStatus::ok);

  // Replaced by another kind: the change is refused, nothing is grafted.
  test::shell("tc qdisc replace dev cake2 root handle 9: pfifo");
  ShaperWrite refused = cake.set_rate(31 * kMbit);
  CHECK(refused.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(test::shell("tc qdisc show dev cake2").out, "pfifo 9: root"),
                test::shell("tc qdisc show dev cake2").out);
  CHECK(cake.read().status == ShaperStatus::missing);

  // A new root CAKE is found and pinned again.
  test::shell("tc qdisc replace dev cake2 root handle 12: cake bandwidth 5mbit besteffort");
  ShaperWrite again = cake.set_rate(32 * kMbit);
  REQUIRE_MESSAGE(again.status == ShaperStatus::ok, again.error);
  CHECK(cake.handle() == 0x00120000U);
  CHECK(link.root_options()["options"]["diffserv"] == "besteffort");
  CHECK(link.root_options()["options"]["bandwidth"] == 4'000'000);
}

TEST_CASE("cake interface vanishing and returning") {
  NetlinkSocket socket;
  std::optional<CakeDevice> link(std::in_place, "cake3");
  CakeQdisc cake(socket, "cake3");
  REQUIRE(cake.set_rate(30 * kMbit).status == ShaperStatus::ok);

  link.reset();
  ShaperReading gone = cake.read();
  CHECK(gone.status == ShaperStatus::missing);
  CHECK(gone.error == "interface cake3 not found");
  CHECK(cake.set_rate(20 * kMbit).status == ShaperStatus::missing);

  link.emplace("cake3");
  ShaperWrite back = cake.set_rate(20 * kMbit);
  REQUIRE_MESSAGE(back.status == ShaperStatus::ok, back.error);
  CHECK(cake.read().rate_bps == 20 * kMbit);
}

namespace {

struct Testbed {
  std::string router = environment("TESTBED_NS_ROUTER");
  std::string client = environment("TESTBED_NS_CLIENT");
  std::string net = environment("TESTBED_NS_NET");
  std::string lan_interface = environment("TESTBED_ROUTER_LAN_IF");
  std::string server = environment("TESTBED_IPERF_SERVER");

  bool available() const { return !router.empty() && !client.empty() && !net.empty() && !server.empty(); }
};

// iperf3 between the testbed's namespaces, the download crossing the
// router's LAN-side CAKE. Returns iperf3's JSON report and when the client
// started, on CLOCK_MONOTONIC.
struct Download {
  nlohmann::json report;
  std::int64_t client_start_ns = 0;
};

Download run_download(const Testbed& testbed, int seconds) {
  test::shell("ip netns exec " + testbed.net + " iperf3 -s -1 -D -p 5301 -B " + testbed.server);
  std::this_thread::sleep_for(300ms);
  Download download;
  download.client_start_ns = monotonic_now_ns();
  test::CommandResult result = test::shell("ip netns exec " + testbed.client + " iperf3 -c " + testbed.server +
                                           " -p 5301 -R -J -t " + std::to_string(seconds));
  download.report = nlohmann::json::parse(result.out);
  return download;
}

}  // namespace

TEST_CASE("cake statistics under load") {
  Testbed testbed;
  REQUIRE_MESSAGE(testbed.available(), "run inside scripts/testbed exec");

  // A netlink socket belongs to the namespace it was opened in.
  std::optional<NetlinkSocket> socket;
  {
    test::NamespaceGuard inside(testbed.router);
    REQUIRE(inside.entered());
    socket.emplace();
  }

  CakeQdisc cake(*socket, testbed.lan_interface);
  ShaperReading before = cake.read();
  REQUIRE_MESSAGE(before.status == ShaperStatus::ok, before.error);
  REQUIRE(before.counters);
  REQUIRE(before.rate_bps);

  // Well below what the emulated link and this kernel carry, so CAKE is the
  // bottleneck and keeps a queue.
  REQUIRE(cake.set_rate(8 * kMbit).status == ShaperStatus::ok);
  std::thread load([&] { run_download(testbed, 4); });
  std::this_thread::sleep_for(1500ms);
  std::uint32_t max_backlog_bytes = 0;
  std::int32_t max_peak_delay_us = -1;
  for (int i = 0; i < 10; ++i) {
    ShaperReading during = cake.read();
    REQUIRE(during.counters);
    max_backlog_bytes = std::max(max_backlog_bytes, during.counters->backlog_bytes);
    max_peak_delay_us = std::max(max_peak_delay_us, during.counters->peak_delay_us);
    std::this_thread::sleep_for(150ms);
  }
  load.join();
  ShaperReading after = cake.read();
  REQUIRE(cake.set_rate(*before.rate_bps).status == ShaperStatus::ok);

  REQUIRE(after.counters);
  CHECK(after.counters->bytes - before.counters->bytes > 1'000'000U);
  CHECK(after.counters->packets > before.counters->packets);
  CHECK(max_peak_delay_us > 0);   // a tin carried traffic and measured its delay
  CHECK(max_backlog_bytes > 0U);  // CAKE held a queue while it was the bottleneck
  MESSAGE("under load at 8 Mbit/s: largest backlog ", max_backlog_bytes, " bytes, largest peak delay ",
          max_peak_delay_us, " us, drops ", after.counters->drops - before.counters->drops, ", ECN marks ",
          after.counters->ecn_marks - before.counters->ecn_marks);
}

TEST_CASE("telemetry achieved rate matches iperf3") {
  Testbed testbed;
  REQUIRE_MESSAGE(testbed.available(), "run inside scripts/testbed exec");
  std::string binary = test::program_path("WANCTL_ACTUATOR");
  REQUIRE(!binary.empty());

  std::string instance = test::unique_instance("actcake");
  test::ObjectCleanup telemetry_cleanup(object_name(instance, "telemetry"));
  std::string config_path = "/tmp/" + instance + ".toml";
  std::ofstream(config_path) << "[instance]\nname = \"" << instance << "\"\n[prober]\nreflectors = [\"192.0.2.1\"]\n"
                             << "[actuator]\nbackend = \"cake\"\ntelemetry_interval_ms = 100\n"
                             << "[actuator.download]\ninterface = \"" << testbed.lan_interface << "\"\n";
  auto actuator = test::ChildProcess::start(
      {"/usr/sbin/ip", "netns", "exec", testbed.router, binary, "--config", config_path}, "/tmp/" + instance + ".log");
  // Processes start slowly in user-mode Linux.
  REQUIRE(test::wait_until([&] { return std::filesystem::exists(object_path(object_name(instance, "telemetry"))); },
                           10000ms));
  auto telemetry = BlockReader<LinkTelemetry>::open(object_name(instance, "telemetry"));

  // Sample telemetry while iperf3 runs.
  constexpr int kSeconds = 8;
  struct Sample {
    std::int64_t time_ns;
    std::int64_t interval_ns;
    std::uint64_t rate_bps;
  };
  std::vector<Sample> samples;
  std::atomic<bool> done{false};
  std::thread sampler([&] {
    std::uint64_t version = 0;
    while (!done) {
      if (telemetry.wait_newer(version, 200ms)) {
        auto snapshot = telemetry.read();
        version = snapshot->version;
        if (snapshot->record.directions[0].valid) {
          samples.push_back({snapshot->record.time_mono_ns, snapshot->record.interval_ns,
                             snapshot->record.directions[0].achieved_rate_bps});
        }
      }
    }
  });
  Download download = run_download(testbed, kSeconds);
  std::this_thread::sleep_for(500ms);  // readings that cover the end of the test
  done = true;
  sampler.join();
  actuator.kill(SIGTERM);
  CHECK(actuator.wait_for(3000ms) == 0);

  // iperf3's figure is its received bytes over its test time. The telemetry
  // rates, each times the interval it covers, add up to the bytes CAKE sent
  // from just before the client started until after it ended. The link is
  // idle around the test, so this sum over iperf3's test time gives the mean
  // rate without aligning the two clocks to a fraction of a second.
  double iperf_seconds = download.report["end"]["sum_received"]["seconds"].get<double>();
  double iperf_bps = download.report["end"]["sum_received"]["bits_per_second"].get<double>();
  REQUIRE(iperf_seconds > kSeconds - 1);

  double telemetry_bits = 0;
  for (const Sample& sample : samples) {
    if (sample.time_ns > download.client_start_ns - 200'000'000) {
      telemetry_bits += static_cast<double>(sample.rate_bps) * static_cast<double>(sample.interval_ns) / 1e9;
    }
  }
  double telemetry_bps = telemetry_bits / iperf_seconds;
  int intervals = kSeconds;

  // iperf3 counts TCP payload; CAKE counts whole frames. Each MSS-sized
  // segment travels with 66 bytes of headers: Ethernet 14, IPv4 20, TCP 20
  // and the 12-byte timestamp option.
  double mss_bytes = download.report["start"]["tcp_mss_default"].get<double>();
  REQUIRE(mss_bytes > 500);
  double iperf_frame_bps = iperf_bps * (mss_bytes + 66) / mss_bytes;
  double raw_difference = (telemetry_bps - iperf_bps) / iperf_bps;
  double difference = (telemetry_bps - iperf_frame_bps) / iperf_frame_bps;
  MESSAGE("over ", intervals, " s: telemetry ", telemetry_bps / 1e6, " Mbit/s; iperf3 ", iperf_bps / 1e6,
          " Mbit/s payload (", raw_difference * 100, " %), ", iperf_frame_bps / 1e6, " Mbit/s as frames (",
          difference * 100, " %)");
  CHECK(std::abs(difference) < 0.05);
  std::remove(config_path.c_str());
}

TEST_CASE("routeros path end to end on a real cake") {
  Testbed testbed;
  REQUIRE_MESSAGE(testbed.available(), "run inside scripts/testbed exec");
  std::string binary = test::program_path("WANCTL_ACTUATOR");
  REQUIRE(!binary.empty());

  // Router, emulator and actuator share the router namespace, and the
  // emulator listens on its loopback. The emulator applies the queue's
  // max-limit to the LAN-side CAKE with tc.
  test::NamespaceGuard inside(testbed.router);
  REQUIRE(inside.entered());
  std::string original = test::shell("tc -j qdisc show dev " + testbed.lan_interface + " root").out;
  std::string state = R"({"queue/tree": [{"name": "wan1-down", "parent": "bridge", "max-limit": "38M"}]})";
  test::RouterOsEmulator router({false, state, "test-password", {"--tc-map", "wan1-down=" + testbed.lan_interface}});

  std::string instance = test::unique_instance("actrostb");
  test::ObjectCleanup decisions_cleanup(object_name(instance, "decisions"));
  test::ObjectCleanup telemetry_cleanup(object_name(instance, "telemetry"));
  ::setenv("WANCTL_TESTBED_ROUTER_PASSWORD", "test-password", 1);
  test::ActuatorConfigFile config(instance, "[actuator]\nbackend = \"routeros\"\ntelemetry_interval_ms = 250\n"
                                            "[actuator.download]\nqueue = \"wan1-down\"\n"
                                            "[actuator.routeros]\nurl = \"" + router.url() + "\"\nuser = \"wanctl\"\n"
                                            "password_env = \"WANCTL_TESTBED_ROUTER_PASSWORD\"\n");
  auto ring = RingWriter<RateDecision>::open(object_name(instance, "decisions"), 64, false);
  std::string log_path = "/tmp/" + instance + ".log";
  auto actuator = test::start_actuator(binary, {"--config", config.path}, log_path);

  RateDecision record{};
  record.decision_id = 1;
  record.time_mono_ns = monotonic_now_ns();
  record.directions[0].rate_bps = 20 * kMbit;
  record.directions[0].apply = 1;
  // The decision must be fresh when the actuator, slow to start in
  // user-mode Linux, reads it: wait until it publishes telemetry.
  REQUIRE(test::wait_until([&] { return std::filesystem::exists(object_path(object_name(instance, "telemetry"))); },
                           10000ms));
  record.time_mono_ns = monotonic_now_ns();
  ring.push(record);

  auto cake_bandwidth = [&] {
    nlohmann::json qdiscs =
        nlohmann::json::parse(test::shell("tc -j qdisc show dev " + testbed.lan_interface + " root").out);
    return qdiscs.at(0)["options"]["bandwidth"].get<std::uint64_t>();
  };
  CHECK_MESSAGE(test::wait_until([&] { return cake_bandwidth() == 2'500'000; }, 5000ms), test::read_file(log_path));

  // The queue's counters come from the CAKE's statistics: traffic shows as
  // an achieved rate in telemetry.
  auto telemetry = BlockReader<LinkTelemetry>::open(object_name(instance, "telemetry"));
  // Readings over a 5-second download. Process start-up in user-mode Linux
  // makes the load's start vary by a second or more. Each reading's counters
  // come from a tc process the emulator starts, so single readings jitter.
  // The check is therefore on the bytes counted, which 20 Mbit/s for 5 s
  // bounds at 12.5 MB.
  std::uint64_t bytes_before = telemetry.read()->record.directions[0].bytes_total;
  std::thread load([&] { run_download(testbed, 5); });
  std::uint64_t max_rate_bps = 0;
  std::uint64_t version = telemetry.read()->version;
  auto deadline = std::chrono::steady_clock::now() + 7000ms;
  while (std::chrono::steady_clock::now() < deadline) {
    if (telemetry.wait_newer(version, 300ms)) {
      auto snapshot = telemetry.read();
      version = snapshot->version;
      if (snapshot->record.directions[0].valid) {
        max_rate_bps = std::max(max_rate_bps, snapshot->record.directions[0].achieved_rate_bps);
      }
    }
  }
  load.join();
  std::uint64_t bytes_after = telemetry.read()->record.directions[0].bytes_total;
  CHECK(bytes_after - bytes_before > 2U * 1'000'000U);
  CHECK(bytes_after - bytes_before < 13U * 1'000'000U);
  CHECK(max_rate_bps > 10 * kMbit);
  MESSAGE("through the emulated router: ", (bytes_after - bytes_before) / 1e6, " MB counted, largest achieved rate ",
          max_rate_bps / 1e6, " Mbit/s with CAKE at 20 Mbit/s");

  actuator.kill(SIGTERM);
  CHECK(actuator.wait_for(3000ms) == 0);
  nlohmann::json before = nlohmann::json::parse(original).at(0);
  test::shell("tc qdisc change dev " + testbed.lan_interface + " root cake bandwidth " +
              std::to_string(before["options"]["bandwidth"].get<std::uint64_t>() * 8) + "bit");
  std::remove(log_path.c_str());
}

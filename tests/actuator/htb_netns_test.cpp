// HTB classes changed over rtnetlink in the host kernel, inside a network
// namespace of the test's own: set and read back (own dump and tc), burst and
// other parameters kept, 64-bit rates, missing class and interface, counters
// under traffic, a non-CAKE root refused, and the wanctl-actuator binary end
// to end.
#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "cake_qdisc.hpp"
#include "htb_class.hpp"
#include "latest_block.hpp"
#include "netns_support.hpp"
#include "notify_listener.hpp"
#include "object_name.hpp"
#include "actuator_process.hpp"
#include "process.hpp"
#include "ring.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t kMbit = 1'000'000;

// A veth pair whose first end has an HTB root with class 1:10; the peer end
// sits in a second namespace so packets sent to it cross the shaper.
struct HtbLink {
  explicit HtbLink(const std::string& name, const std::string& class_options = "rate 50mbit burst 15k")
      : device(name), peer_namespace("wanctl-htb-" + std::to_string(::getpid()) + "-" + name) {
    test::shell("ip link add " + device + " type veth peer name " + device + "p");
    test::shell("ip link set " + device + " up");
    test::shell("tc qdisc add dev " + device + " root handle 1: htb default 10");
    test::shell("tc class add dev " + device + " parent 1: classid 1:10 htb " + class_options);
  }

  ~HtbLink() {
    test::run_command("ip link del " + device);
    test::run_command("ip netns del " + peer_namespace);
  }

  // Moves the peer into its own namespace and gives both ends addresses from
  // the benchmarking range, which exist only inside these namespaces.
  void connect_peer() {
    test::shell("ip netns add " + peer_namespace);
    test::shell("ip link set " + device + "p netns " + peer_namespace);
    test::shell("ip netns exec " + peer_namespace + " ip link set " + device + "p up");
    test::shell("ip netns exec " + peer_namespace + " ip addr add 198.18.10.2/30 dev " + device + "p");
    test::shell("ip addr add 198.18.10.1/30 dev " + device);
  }

  std::string tc_class() const { return test::shell("tc -d class show dev " + device + " classid 1:10").out; }

  std::string device;
  std::string peer_namespace;
};

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("htb class set and read back") {
  HtbLink link("htb0");
  NetlinkSocket socket;
  HtbClass htb(socket, link.device, "1:10");

  ShaperReading before = htb.read();
  REQUIRE(before.status == ShaperStatus::ok);
  CHECK(before.rate_bps == 50 * kMbit);

  ShaperWrite write = htb.set_rate(20 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  CHECK(write.confirmed_rate_bps == 20 * kMbit);

  CHECK(htb.read().rate_bps == 20 * kMbit);
  std::string shown = link.tc_class();
  CHECK_MESSAGE(contains(shown, "rate 20Mbit ceil 20Mbit"), shown);
  CHECK_MESSAGE(contains(shown, "burst 15Kb"), shown);  // the burst in bytes is kept
  CHECK_MESSAGE(contains(shown, "cburst 1600b"), shown);
}

TEST_CASE("htb change keeps prio and quantum") {
  HtbLink link("htb1", "rate 50mbit ceil 80mbit prio 3 quantum 3000 burst 20k");
  NetlinkSocket socket;
  HtbClass htb(socket, link.device, "1:10");
  REQUIRE(htb.set_rate(8 * kMbit).status == ShaperStatus::ok);
  std::string shown = link.tc_class();
  CHECK_MESSAGE(contains(shown, "prio 3"), shown);
  CHECK_MESSAGE(contains(shown, "quantum 3000"), shown);
  CHECK_MESSAGE(contains(shown, "rate 8Mbit ceil 8Mbit"), shown);
  CHECK_MESSAGE(contains(shown, "burst 20Kb"), shown);
}

TEST_CASE("htb rate above 32 bits uses rate64") {
  HtbLink link("htb2");
  NetlinkSocket socket;
  HtbClass htb(socket, link.device, "1:10");
  ShaperWrite write = htb.set_rate(40'000 * kMbit);
  REQUIRE_MESSAGE(write.status == ShaperStatus::ok, write.error);
  CHECK(htb.read().rate_bps == 40'000 * kMbit);
  CHECK_MESSAGE(contains(link.tc_class(), "rate 40Gbit ceil 40Gbit"), link.tc_class());
}

TEST_CASE("htb missing class is reported") {
  HtbLink link("htb3");
  NetlinkSocket socket;
  HtbClass htb(socket, link.device, "1:99");
  ShaperReading reading = htb.read();
  CHECK(reading.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(reading.error, "HTB class 1:99 on htb3 not found"), reading.error);
  CHECK(htb.set_rate(10 * kMbit).status == ShaperStatus::missing);
}

TEST_CASE("htb interface vanishing and returning") {
  NetlinkSocket socket;
  std::optional<HtbLink> link(std::in_place, "htb4");
  HtbClass htb(socket, "htb4", "1:10");
  REQUIRE(htb.set_rate(30 * kMbit).status == ShaperStatus::ok);

  link.reset();
  ShaperReading gone = htb.read();
  CHECK(gone.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(gone.error, "interface htb4 not found"), gone.error);
  CHECK(htb.set_rate(20 * kMbit).status == ShaperStatus::missing);

  link.emplace("htb4");
  ShaperWrite back = htb.set_rate(20 * kMbit);
  REQUIRE_MESSAGE(back.status == ShaperStatus::ok, back.error);
  CHECK(htb.read().rate_bps == 20 * kMbit);
}

TEST_CASE("htb interface recreated between two reads") {
  NetlinkSocket socket;
  std::optional<HtbLink> link(std::in_place, "htb10");
  HtbClass htb(socket, "htb10", "1:10");
  REQUIRE(htb.read().status == ShaperStatus::ok);

  // The new interface has the same name and class but a new index; the
  // first read after it finds it without a failure in between.
  link.reset();
  link.emplace("htb10", "rate 40mbit burst 15k");
  ShaperReading reading = htb.read();
  REQUIRE_MESSAGE(reading.status == ShaperStatus::ok, reading.error);
  CHECK(reading.rate_bps == 40 * kMbit);
}

TEST_CASE("htb counters under traffic") {
  HtbLink link("htb5");
  link.connect_peer();
  NetlinkSocket socket;
  HtbClass htb(socket, link.device, "1:10");
  ShaperReading before = htb.read();
  REQUIRE(before.counters);

  test::shell("ping -q -c 20 -i 0.01 -s 1000 -W 1 198.18.10.2");
  ShaperReading after = htb.read();
  REQUIRE(after.counters);
  CHECK(after.counters->packets - before.counters->packets >= 20U);
  CHECK(after.counters->bytes - before.counters->bytes >= 20U * 1000U);
}

TEST_CASE("cake refuses a non-cake root and changes nothing") {
  HtbLink link("htb6");
  std::string before = test::shell("tc -d qdisc show dev htb6").out + link.tc_class();
  NetlinkSocket socket;
  CakeQdisc cake(socket, link.device);

  ShaperReading reading = cake.read();
  CHECK(reading.status == ShaperStatus::missing);
  CHECK_MESSAGE(contains(reading.error, "root qdisc of htb6 is htb (handle 1:0), not cake"), reading.error);
  ShaperWrite write = cake.set_rate(10 * kMbit);
  CHECK(write.status == ShaperStatus::missing);
  CHECK_FALSE(cake.pinned());

  std::string after = test::shell("tc -d qdisc show dev htb6").out + link.tc_class();
  CHECK(before == after);
}

TEST_CASE("cake on a missing interface is reported") {
  NetlinkSocket socket;
  CakeQdisc cake(socket, "nosuchdev0");
  ShaperReading reading = cake.read();
  CHECK(reading.status == ShaperStatus::missing);
  CHECK(reading.error == "interface nosuchdev0 not found");
}

namespace {

RateDecision upload_decision(std::uint64_t id, std::uint64_t rate_bps) {
  RateDecision record{};
  record.decision_id = id;
  record.time_mono_ns = monotonic_now_ns();
  record.cause_recv_mono_ns = record.time_mono_ns - 2'000'000;
  record.directions[1].rate_bps = rate_bps;
  record.directions[1].apply = 1;
  record.directions[0].rate_bps = 99 * kMbit;  // download is not configured: ignored
  record.directions[0].apply = 1;
  return record;
}

}  // namespace

TEST_CASE("actuator binary drives htb end to end") {
  std::string binary = test::program_path("WANCTL_ACTUATOR");
  REQUIRE_MESSAGE(!binary.empty(), "set WANCTL_ACTUATOR to the wanctl-actuator binary");
  HtbLink link("htb7");
  std::string instance = test::unique_instance("acthtb");
  test::ObjectCleanup decisions_cleanup(object_name(instance, "decisions"));
  test::ObjectCleanup telemetry_cleanup(object_name(instance, "telemetry"));
  test::ActuatorConfigFile config(instance, "[actuator]\nbackend = \"htb\"\ntelemetry_interval_ms = 50\nattach_retry_ms = 50\n"
                              "[actuator.upload]\ninterface = \"htb7\"\nclass = \"1:10\"\n");

  // The actuator starts before the estimator created the ring.
  std::string log_path = "/tmp/wanctl-actuator-test-" + instance + ".log";
  auto actuator = test::start_actuator(binary, {"--config", config.path}, log_path);
  std::this_thread::sleep_for(150ms);
  auto ring = RingWriter<RateDecision>::open(object_name(instance, "decisions"), 64, false);
  ring.push(upload_decision(1, 30 * kMbit));

  REQUIRE_MESSAGE(test::wait_until([&] { return contains(link.tc_class(), "rate 30Mbit ceil 30Mbit"); }, 3000ms),
                  test::read_file(log_path));
  auto telemetry = BlockReader<LinkTelemetry>::open(object_name(instance, "telemetry"));
  REQUIRE(test::wait_until([&] { return telemetry.read() && telemetry.read()->record.last_applied_decision_id == 1; }, 1000ms));
  LinkTelemetry applied = telemetry.read()->record;
  CHECK(applied.device_writes == 1U);
  CHECK(applied.directions[1].applied_rate_bps == 30 * kMbit);
  CHECK(applied.directions[1].device_state == DeviceState::ok);
  CHECK(applied.last_apply_latency_ns >= 2'000'000);

  actuator.kill(SIGTERM);
  CHECK(actuator.wait_for(3000ms) == 0);

  // Changed by hand while the actuator is down; a restart must not re-apply 30.
  test::shell("tc class change dev htb7 parent 1: classid 1:10 htb rate 25mbit burst 15k");
  auto restarted = test::start_actuator(binary, {"--config", config.path}, log_path);
  REQUIRE(test::wait_until([&] { return telemetry.read()->record.directions[1].applied_rate_bps == 25 * kMbit; }, 3000ms));
  std::this_thread::sleep_for(300ms);
  CHECK_MESSAGE(contains(link.tc_class(), "rate 25Mbit"), link.tc_class());

  ring.push(upload_decision(2, 12 * kMbit));
  CHECK_MESSAGE(test::wait_until([&] { return contains(link.tc_class(), "rate 12Mbit"); }, 3000ms), test::read_file(log_path));
  restarted.kill(SIGTERM);
  CHECK(restarted.wait_for(3000ms) == 0);
  std::remove(log_path.c_str());
}

TEST_CASE("actuator binary dry run changes nothing") {
  std::string binary = test::program_path("WANCTL_ACTUATOR");
  REQUIRE(!binary.empty());
  HtbLink link("htb8");
  std::string instance = test::unique_instance("actdry");
  test::ObjectCleanup decisions_cleanup(object_name(instance, "decisions"));
  test::ObjectCleanup telemetry_cleanup(object_name(instance, "telemetry"));
  test::ActuatorConfigFile config(instance, "[actuator]\nbackend = \"htb\"\ntelemetry_interval_ms = 50\n"
                              "[actuator.upload]\ninterface = \"htb8\"\nclass = \"1:10\"\n");
  auto ring = RingWriter<RateDecision>::open(object_name(instance, "decisions"), 64, false);
  std::string log_path = "/tmp/wanctl-actuator-test-" + instance + ".log";
  auto actuator = test::start_actuator(binary, {"--config", config.path, "--dry-run"}, log_path);
  std::this_thread::sleep_for(200ms);
  ring.push(upload_decision(1, 30 * kMbit));
  std::this_thread::sleep_for(400ms);
  actuator.kill(SIGTERM);
  CHECK(actuator.wait_for(3000ms) == 0);

  CHECK_MESSAGE(contains(link.tc_class(), "rate 50Mbit"), link.tc_class());
  std::string log = test::read_file(log_path);
  CHECK_MESSAGE(contains(log, "dry run: would set HTB class 1:10 on htb8 from 50.00 Mbit/s to 30.00 Mbit/s"), log);
  std::remove(log_path.c_str());
}

TEST_CASE("actuator binary notifies systemd") {
  std::string binary = test::program_path("WANCTL_ACTUATOR");
  REQUIRE(!binary.empty());
  HtbLink link("htb9");
  std::string instance = test::unique_instance("actnotify");
  test::ObjectCleanup decisions_cleanup(object_name(instance, "decisions"));
  test::ObjectCleanup telemetry_cleanup(object_name(instance, "telemetry"));
  test::ActuatorConfigFile config(instance, "[actuator]\nbackend = \"htb\"\n"
                                            "[actuator.upload]\ninterface = \"htb9\"\nclass = \"1:10\"\n");

  test::NotifyListener listener("/tmp/wanctl-notify-" + instance);
  ::setenv("NOTIFY_SOCKET", listener.path().c_str(), 1);
  std::string log_path = "/tmp/wanctl-actuator-test-" + instance + ".log";
  auto actuator = test::start_actuator(binary, {"--config", config.path}, log_path);
  ::unsetenv("NOTIFY_SOCKET");

  // Status lines may come first, while the actuator reads the shaper.
  std::string text = listener.read_until("READY=1");
  CHECK_MESSAGE(contains(text, "READY=1"), text);
  CHECK_MESSAGE(contains(text, "STATUS=upload ok"), text);

  actuator.kill(SIGTERM);
  CHECK(actuator.wait_for(3000ms) == 0);
  std::string stopping = listener.read_until("STOPPING=1");
  CHECK_MESSAGE(contains(stopping, "STOPPING=1"), stopping);
  std::remove(log_path.c_str());
}

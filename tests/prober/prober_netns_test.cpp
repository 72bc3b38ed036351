// The real wanctl-prober against real kernels in network namespaces that
// each test creates. Cases: replies and one-way delays, IPv6, silent
// reflectors (nftables), ICMP errors from a router, a local blackhole, a
// reflector that sends bad timestamps, duplicates and late replies, the
// interface deleted and re-created, a stopped process, an unprivileged
// socket, privileges after start, and bad input at startup.
#include <doctest/doctest.h>

#include <pwd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mono_time.hpp"
#include "netns_fixture.hpp"
#include "record_fields.hpp"

using namespace wanctl;
using namespace wanctl::test;
using namespace std::chrono_literals;

namespace {

using Entries = std::vector<RingEntry<ProbeSample>>;

std::string reflector_list(const std::vector<std::string>& addresses) {
  std::string list = "reflectors = [";
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    list += (i > 0 ? ", \"" : "\"") + addresses[i] + "\"";
  }
  return list + "]\n";
}

std::string address_of(const ProbeSample& sample) {
  return format_address(sample.reflector_address, sample.address_family);
}

Entries of_reflector(const Entries& entries, const std::string& address) {
  Entries selected;
  for (const auto& entry : entries) {
    if (address_of(entry.record) == address) {
      selected.push_back(entry);
    }
  }
  return selected;
}

std::size_t count_status(const Entries& entries, SampleStatus status) {
  return static_cast<std::size_t>(std::count_if(
      entries.begin(), entries.end(), [status](const auto& entry) { return entry.record.status == status; }));
}

bool log_contains(ProberProcess& prober, const std::string& text) {
  return prober.log().find(text) != std::string::npos;
}

// Adds an nftables table "wpr" with input and output filter chains.
void add_filter_table(const TestNetwork& network) {
  must(network.in_reflector("nft add table inet wpr"));
  must(network.in_reflector("nft add chain inet wpr input '{ type filter hook input priority 0; }'"));
  must(network.in_reflector("nft add chain inet wpr output '{ type filter hook output priority 0; }'"));
}

}  // namespace

TEST_CASE("prober timestamp replies have sane RTT and OWD") {
  TestNetwork network;
  bool have_nobody = ::getpwnam("nobody") != nullptr;
  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1), reflector_v4(2), reflector_v4(3)}) +
                                    "probe_rate_hz = 50\nmethod = \"timestamp\"\ninterface = \"wp0\"\n" +
                                    (have_nobody ? "user = \"nobody\"\n" : ""));
  REQUIRE_MESSAGE(prober.wait_started(), prober.log());
  REQUIRE_MESSAGE(prober.wait_for_samples(100, 5s), prober.log());

  Entries entries = prober.samples();
  for (const auto& entry : entries) {
    const ProbeSample& sample = entry.record;
    CAPTURE(entry.index);
    CHECK(sample.sample_id == entry.index);
    CHECK(sample.status == SampleStatus::reply);
    CHECK(sample.method == ProbeMethod::timestamp);
    CHECK(sample.icmp_type == 14);
    CHECK(sample.reflector_id < 3);
    CHECK(address_of(sample) == reflector_v4(sample.reflector_id));
    CHECK(sample.rtt_ns > 0);
    CHECK(sample.rtt_ns < 20'000'000);
    CHECK(sample.rtt_ns == sample.recv_mono_ns - sample.send_mono_ns);
    // Both ends share one clock, so each one-way delay is under a few ms
    // (the values have a resolution of 1 ms).
    CHECK(sample.has_owd == 1);
    CHECK(sample.owd_up_us >= 0);
    CHECK(sample.owd_up_us <= 5'000);
    CHECK(sample.owd_down_us >= 0);
    CHECK(sample.owd_down_us <= 5'000);
  }

  // 50 probes/s: one slot every 20 ms, and the three active reflectors take
  // turns slot by slot. A slot skipped because the prober woke late (on a
  // loaded machine) skips a turn, so the turn is computed from the time.
  const ProbeSample& first = entries.front().record;
  for (const auto& entry : entries) {
    const ProbeSample& sample = entry.record;
    std::int64_t since_first_ns = sample.send_mono_ns - first.send_mono_ns;
    std::int64_t slot = (since_first_ns + 10'000'000) / 20'000'000;
    CAPTURE(entry.index);
    CHECK(std::llabs(since_first_ns - slot * 20'000'000) <= 10'000'000);
    CHECK(sample.reflector_id == (first.reflector_id + slot) % 3);
  }

  auto snapshot = prober.snapshot();
  REQUIRE(snapshot.has_value());
  const ProberStatus& status = snapshot->record;
  CHECK(status.reflector_count == 4);
  for (int id = 0; id < 3; ++id) {
    CAPTURE(id);
    CHECK(status.reflectors[id].active == 1);
    CHECK(status.reflectors[id].method == ProbeMethod::timestamp);
    CHECK(status.reflectors[id].median_rtt_us > 0);
    CHECK(status.reflectors[id].median_rtt_us < 20'000);
    CHECK(status.reflectors[id].loss_permille == 0);
  }
  CHECK(status.reflectors[3].active == 0);
  CHECK(status.timeouts == 0);
  CHECK(status.errors == 0);
  CHECK(status.sockets_open == 1);
  CHECK(monotonic_now_ns() - snapshot->heartbeat_ns < 1'500'000'000);

  // Only CAP_NET_RAW is left, in every set, and no new privileges.
  pid_t pid = prober.process().pid();
  CHECK(proc_status_field(pid, "CapEff") == "0000000000002000");
  CHECK(proc_status_field(pid, "CapPrm") == "0000000000002000");
  CHECK(proc_status_field(pid, "CapBnd") == "0000000000002000");
  CHECK(proc_status_field(pid, "CapInh") == "0000000000000000");
  CHECK(proc_status_field(pid, "NoNewPrivs") == "1");
  if (have_nobody) {
    std::string uid = std::to_string(::getpwnam("nobody")->pw_uid);
    CHECK(proc_status_field(pid, "Uid").rfind(uid + "\t" + uid, 0) == 0);
  }

  CHECK(prober.process().stop(3s) == 0);
  CHECK(log_contains(prober, "stopping on"));
}

TEST_CASE("prober IPv6 reflectors get ICMPv6 echo") {
  TestNetwork network;
  ProberProcess prober(network, reflector_list({reflector_v6(0), reflector_v6(1)}) +
                                    "probe_rate_hz = 40\nmethod = \"timestamp\"\n");
  REQUIRE_MESSAGE(prober.wait_for_samples(40, 5s), prober.log());
  for (const auto& entry : prober.samples()) {
    const ProbeSample& sample = entry.record;
    CHECK(sample.address_family == AF_INET6);
    CHECK(sample.status == SampleStatus::reply);
    CHECK(sample.method == ProbeMethod::echo);
    CHECK(sample.icmp_type == 129);
    CHECK(sample.has_owd == 0);
    CHECK(sample.rtt_ns > 0);
    CHECK(sample.rtt_ns < 20'000'000);
    CHECK(address_of(sample) == reflector_v6(sample.reflector_id));
  }
}

TEST_CASE("prober replaces a silent reflector with spares in order") {
  TestNetwork network;
  add_filter_table(network);
  must(network.in_reflector("nft add rule inet wpr input ip daddr " + reflector_v4(1) + " drop"));

  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1), reflector_v4(2), reflector_v4(3),
                                                reflector_v4(4)}) +
                                    "probe_rate_hz = 40\nmethod = \"echo\"\ntimeout_ms = 300\n");
  REQUIRE_MESSAGE(prober.wait_started(), prober.log());
  REQUIRE_MESSAGE(wait_until([&] { return prober.status()->replacements >= 1; }, 8s), prober.log());

  ProberStatus status = *prober.status();
  CHECK(status.reflectors[1].active == 0);
  CHECK(status.reflectors[3].active == 1);
  CHECK(status.reflectors[4].active == 0);
  CHECK(log_contains(prober, "reflector " + reflector_v4(1) + " missed 3 of its last 60 probes"));
  CHECK(log_contains(prober, "replaced by " + reflector_v4(3)));

  // The replacement gets replies from now on; the silent one never did.
  REQUIRE(wait_until([&] { return count_status(of_reflector(prober.samples(), reflector_v4(3)),
                                                SampleStatus::reply) >= 5; },
                     5s));
  Entries silent = of_reflector(prober.samples(), reflector_v4(1));
  CHECK(silent.size() >= 3);
  CHECK(count_status(silent, SampleStatus::reply) == 0);
  CHECK(count_status(silent, SampleStatus::timeout) == silent.size());

  // When the replacement falls silent too, the next spare is 203.0.113.14:
  // the first silent reflector went to the end of the list.
  must(network.in_reflector("nft add rule inet wpr input ip daddr " + reflector_v4(3) + " drop"));
  REQUIRE_MESSAGE(wait_until([&] { return prober.status()->replacements >= 2; }, 8s), prober.log());
  status = *prober.status();
  CHECK(status.reflectors[4].active == 1);
  CHECK(status.reflectors[1].active == 0);
  CHECK(status.reflectors[3].active == 0);
  CHECK(status.reflectors[4].probes_sent < 40);  // counted since its activation only
}

TEST_CASE("prober link-wide silence replaces no reflector") {
  TestNetwork network;
  add_filter_table(network);
  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1), reflector_v4(2), reflector_v4(3)}) +
                                    "probe_rate_hz = 40\nmethod = \"echo\"\ntimeout_ms = 300\n");
  REQUIRE_MESSAGE(prober.wait_for_samples(40, 5s), prober.log());

  // Nothing gets through for 1.5 s, as on a radio link that drops out.
  must(network.in_reflector("nft add rule inet wpr input ip protocol icmp drop"));
  std::this_thread::sleep_for(1500ms);
  must(network.in_reflector("nft flush chain inet wpr input"));
  std::this_thread::sleep_for(1500ms);

  ProberStatus status = *prober.status();
  CHECK(status.timeouts >= 40);
  CHECK(status.replacements == 0);
  for (int id = 0; id < 3; ++id) {
    CAPTURE(id);
    CHECK(status.reflectors[id].active == 1);
    CHECK(status.reflectors[id].recent_timeouts < 3);
  }
  CHECK_FALSE(log_contains(prober, "replaced by"));
  Entries entries = prober.samples();
  REQUIRE_FALSE(entries.empty());
  CHECK(entries.back().record.status == SampleStatus::reply);
}

TEST_CASE("prober records ICMP errors and send failures as errors") {
  TestNetwork network;
  // Router r replies to 203.0.113.50 with host unreachable, and forwards
  // 203.0.113.51 with its TTL set to 1, which expires in r.
  must(network.in_reflector("ip route add unreachable 203.0.113.50/32"));
  must(network.in_reflector("ip route add 203.0.113.51/32 via " + std::string(kProberAddress)));
  must(network.in_reflector("nft add table ip wpr"));
  must(network.in_reflector("nft add chain ip wpr pre '{ type filter hook prerouting priority -300; }'"));
  must(network.in_reflector("nft add rule ip wpr pre ip daddr 203.0.113.51 ip ttl set 1"));
  // The prober's own host has no route at all for 203.0.113.52.
  must(network.in_prober("ip route add blackhole 203.0.113.52/32"));

  ProberProcess prober(network,
                       reflector_list({reflector_v4(0), "203.0.113.50", "203.0.113.51", "203.0.113.52"}) +
                           "active_reflectors = 4\nprobe_rate_hz = 40\nmethod = \"timestamp\"\ntimeout_ms = 500\n");
  REQUIRE_MESSAGE(prober.wait_for_samples(60, 6s), prober.log());
  // 203.0.113.50 falls back to echo (no timestamp reply), then misses echo
  // too while 203.0.113.10 replies.
  CHECK_MESSAGE(wait_until([&] { return log_contains(prober, "no spare reflector is left"); }, 5s), prober.log());
  Entries entries = prober.samples();

  // Linux limits unreachables from a route to about one per second for each
  // host they go to (net.ipv4.route.error_cost, host-wide), with a token
  // bucket that the time exceeded messages to the same host drain as well;
  // the probes that get no error time out.
  Entries unreachable = of_reflector(entries, "203.0.113.50");
  REQUIRE(unreachable.size() >= 10);
  std::size_t unreachable_errors = 0;
  for (const auto& entry : unreachable) {
    CHECK(entry.record.rtt_ns == 0);
    CHECK(entry.record.has_owd == 0);
    if (entry.record.status == SampleStatus::error) {
      ++unreachable_errors;
      CHECK(entry.record.icmp_type == 3);
      CHECK(entry.record.icmp_code == 1);
      CHECK(entry.record.recv_mono_ns > entry.record.send_mono_ns);
    } else {
      CHECK(entry.record.status == SampleStatus::timeout);
    }
  }
  CHECK(unreachable_errors >= 1);

  Entries expired = of_reflector(entries, "203.0.113.51");
  REQUIRE(expired.size() >= 5);
  for (const auto& entry : expired) {
    CHECK(entry.record.status == SampleStatus::error);
    CHECK(entry.record.icmp_type == 11);
    CHECK(entry.record.rtt_ns == 0);
  }

  Entries blackholed = of_reflector(entries, "203.0.113.52");
  REQUIRE(blackholed.size() >= 5);
  for (const auto& entry : blackholed) {
    CHECK(entry.record.status == SampleStatus::error);
    CHECK(entry.record.recv_mono_ns == 0);
    CHECK(entry.record.icmp_type == 0);
  }

  // No error ever appears as a reply from the router or anyone else.
  std::set<std::string> replied;
  for (const auto& entry : entries) {
    if (entry.record.status == SampleStatus::reply) {
      replied.insert(address_of(entry.record));
    }
  }
  CHECK(replied == std::set<std::string>{reflector_v4(0)});

  ProberStatus status = *prober.status();
  CHECK(status.errors >= 10);
  CHECK(status.send_errors >= 5);
  CHECK(status.replacements == 0);  // no spare: every reflector is active
  CHECK(log_contains(prober, "destination unreachable (type 3 code 1) from 192.0.2.2"));
  CHECK(log_contains(prober, "time exceeded (type 11 code 0) from 192.0.2.2"));
  CHECK(log_contains(prober, "cannot send to reflector 203.0.113.52"));
}

TEST_CASE("prober bad timestamps, duplicates and late replies") {
  TestNetwork network;
  // The crafted responder answers for .15 to .17; the kernel's own replies
  // from those addresses are dropped unless they carry its mark.
  add_filter_table(network);
  must(network.in_reflector(
      "nft add rule inet wpr output ip saddr 203.0.113.15-203.0.113.17 icmp type '{ echo-reply, timestamp-reply }' "
      "meta mark != 0x77 drop"));
  LoggedProcess responder({"ip", "netns", "exec", network.reflector_ns(), program_path("WANCTL_CRAFTED_RESPONDER"),
                           "--mark", "0x77", "--max-seconds", "30", reflector_v4(5) + "=bad-timestamp",
                           reflector_v4(6) + "=duplicate", reflector_v4(7) + "=late:400"},
                          "/tmp/wpr-responder-" + std::to_string(::getpid()) + ".log");
  REQUIRE_MESSAGE(wait_until([&] { return responder.log().find("ready") != std::string::npos; }, 3s),
                  responder.log());

  ProberProcess prober(network, reflector_list({reflector_v4(5), reflector_v4(6), reflector_v4(7)}) +
                                    "probe_rate_hz = 30\nmethod = \"timestamp\"\ntimeout_ms = 200\n");
  REQUIRE_MESSAGE(wait_until([&] { return prober.status() && prober.status()->reflectors[0].method ==
                                                                   ProbeMethod::echo; },
                             6s),
                  prober.log());
  std::this_thread::sleep_for(1000ms);
  Entries entries = prober.samples();
  ProberStatus status = *prober.status();

  // Bad timestamps: exactly three marked, never a delay, then echo.
  Entries bad = of_reflector(entries, reflector_v4(5));
  REQUIRE(bad.size() >= 6);
  for (std::size_t i = 0; i < bad.size(); ++i) {
    const ProbeSample& sample = bad[i].record;
    CAPTURE(i);
    CHECK(sample.has_owd == 0);
    if (i < 3) {
      CHECK(sample.status == SampleStatus::bad_timestamp);
      CHECK(sample.method == ProbeMethod::timestamp);
      CHECK(sample.rtt_ns > 0);
    } else {
      CHECK(sample.status == SampleStatus::reply);
      CHECK(sample.method == ProbeMethod::echo);
    }
  }
  CHECK(status.bad_timestamps == 3);
  CHECK(log_contains(prober, "reflector " + reflector_v4(5) +
                                 ": 3 timestamp probes in a row ended without a valid timestamp"));

  // Duplicates: every probe written once, each second copy counted.
  Entries duplicated = of_reflector(entries, reflector_v4(6));
  REQUIRE(duplicated.size() >= 5);
  std::set<std::uint16_t> sequences;
  for (const auto& entry : duplicated) {
    CHECK(entry.record.status == SampleStatus::reply);
    CHECK(entry.record.has_owd == 1);
    sequences.insert(entry.record.icmp_sequence);
  }
  CHECK(sequences.size() == duplicated.size());
  CHECK(status.duplicates >= duplicated.size() - 1);

  // Late replies: each probe is one timeout, and the reply is counted late.
  Entries late = of_reflector(entries, reflector_v4(7));
  REQUIRE(late.size() >= 5);
  sequences.clear();
  for (const auto& entry : late) {
    CHECK(entry.record.status == SampleStatus::timeout);
    CHECK(entry.record.recv_mono_ns == 0);
    sequences.insert(entry.record.icmp_sequence);
  }
  CHECK(sequences.size() == late.size());
  // The newest timeouts may still wait for their late replies.
  CHECK(status.late_replies + 3 >= late.size());
  CHECK(status.late_replies <= late.size() + 3);
}

TEST_CASE("prober egress by source address and fwmark") {
  TestNetwork network;
  // Probes reach the reflectors only through table 100, which only packets
  // with mark 0x42 use, as with policy routing on a two-WAN router.
  must(network.in_prober("ip addr add 192.0.2.5/24 dev wp0"));
  must(network.in_prober("ip route del 203.0.113.0/24"));
  must(network.in_prober("ip route add 203.0.113.0/24 via " + std::string(kRouterAddress) + " table 100"));
  must(network.in_prober("ip rule add fwmark 0x42 lookup 100"));
  // r counts the requests that come from the configured source address.
  must(network.in_reflector("nft add table inet wpr"));
  must(network.in_reflector("nft add chain inet wpr input '{ type filter hook input priority 0; }'"));
  must(network.in_reflector("nft add rule inet wpr input ip saddr 192.0.2.5 icmp type timestamp-request counter"));

  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1)}) +
                                    "probe_rate_hz = 40\nmethod = \"timestamp\"\nsource_address = \"192.0.2.5\"\n"
                                    "fwmark = 66\n");
  REQUIRE_MESSAGE(prober.wait_for_samples(40, 5s), prober.log());
  for (const auto& entry : prober.samples()) {
    CHECK(entry.record.status == SampleStatus::reply);
  }
  std::string counter = must(network.in_reflector("nft list chain inet wpr input"));
  std::smatch match;
  REQUIRE(std::regex_search(counter, match, std::regex("packets ([0-9]+)")));
  CHECK(std::stoul(match[1]) >= 40);
}

TEST_CASE("prober ignores other programs' ICMP") {
  TestNetwork network;
  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1)}) +
                                    "probe_rate_hz = 20\nmethod = \"echo\"\n");
  REQUIRE_MESSAGE(prober.wait_started(), prober.log());

  // iputils ping on the same path, and pings towards the prober's host.
  std::uint64_t sent_before = prober.status()->probes_sent;
  CommandResult outgoing = run_command(network.in_prober("ping -q -i 0.01 -c 200 " + reflector_v4(0)));
  CommandResult incoming = run_command(network.in_reflector("ping -q -i 0.01 -c 100 " + std::string(kProberAddress)));
  CHECK(outgoing.status == 0);
  CHECK(incoming.status == 0);
  std::this_thread::sleep_for(300ms);

  ProberStatus status = *prober.status();
  CHECK(status.probes_sent - sent_before >= 40);
  CHECK(status.unmatched == 0);
  CHECK(status.duplicates == 0);
  CHECK(status.late_replies == 0);
  CHECK(status.timeouts == 0);
  for (const auto& entry : prober.samples()) {
    CHECK(entry.record.status == SampleStatus::reply);
    CHECK(entry.record.icmp_type == 0);
  }
}

TEST_CASE("prober survives its interface being deleted and re-created") {
  TestNetwork network;
  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1)}) +
                                    "probe_rate_hz = 20\nmethod = \"echo\"\ninterface = \"wp0\"\ntimeout_ms = 500\n");
  REQUIRE_MESSAGE(prober.wait_for_samples(10, 5s), prober.log());

  network.disconnect();
  REQUIRE_MESSAGE(wait_until([&] { return prober.status()->sockets_open == 0; }, 3s), prober.log());
  auto before = prober.snapshot();
  std::this_thread::sleep_for(3000ms);
  auto during = prober.snapshot();
  REQUIRE(before.has_value());
  REQUIRE(during.has_value());
  // Still alive: the heartbeat moves while nothing can be sent.
  CHECK(during->heartbeat_ns > before->heartbeat_ns);
  CHECK(prober.process().running());
  CHECK(log_contains(prober, "sockets closed: interface wp0"));
  CHECK(log_contains(prober, "no samples written for"));
  std::uint64_t written = prober.samples().back().index;

  std::int64_t reconnected_ns = monotonic_now_ns();
  network.connect();
  REQUIRE_MESSAGE(wait_until(
                      [&] {
                        Entries entries = prober.samples();
                        return entries.back().index > written + 5 &&
                               entries.back().record.status == SampleStatus::reply;
                      },
                      5s),
                  prober.log());
  Entries entries = prober.samples();
  CHECK(entries.back().record.send_mono_ns > reconnected_ns);
  CHECK(prober.status()->sockets_open == 1);
  CHECK(log_contains(prober, "sockets reopened after"));
  CHECK(log_contains(prober, "samples resumed after"));
}

TEST_CASE("prober skips missed slots after a stall") {
  TestNetwork network;
  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1), reflector_v4(2)}) +
                                    "probe_rate_hz = 20\nmethod = \"echo\"\n");
  REQUIRE_MESSAGE(prober.wait_for_samples(20, 5s), prober.log());

  prober.process().signal(SIGSTOP);
  std::this_thread::sleep_for(1000ms);
  std::int64_t resumed_ns = monotonic_now_ns();
  prober.process().signal(SIGCONT);
  std::this_thread::sleep_for(1500ms);

  Entries entries = prober.samples();
  std::vector<std::int64_t> sends;
  for (const auto& entry : entries) {
    sends.push_back(entry.record.send_mono_ns);
  }
  std::sort(sends.begin(), sends.end());
  REQUIRE(sends.size() >= 40);

  // Slots stay on the 50 ms grid of the first probe, without drift. A probe
  // goes out within half a slot of its time or not at all, so there is at
  // most one per slot and they are never closer than half a slot.
  std::set<std::int64_t> slots;
  for (std::int64_t send_ns : sends) {
    std::int64_t offset_ns = (send_ns - sends.front()) % 50'000'000;
    CHECK(offset_ns <= 26'000'000);
    slots.insert((send_ns - sends.front()) / 50'000'000);
  }
  CHECK(slots.size() == sends.size());
  for (std::size_t i = 1; i < sends.size(); ++i) {
    CHECK(sends[i] - sends[i - 1] >= 24'000'000);
  }
  std::size_t after_resume = static_cast<std::size_t>(std::count_if(
      sends.begin(), sends.end(), [resumed_ns](std::int64_t send_ns) { return send_ns >= resumed_ns; }));
  CHECK(after_resume <= 32);

  // About 20 slots pass during the stop; a loaded machine may add a few.
  ProberStatus status = *prober.status();
  CHECK(status.skipped_slots >= 15);
  CHECK(status.skipped_slots <= 30);
  CHECK(log_contains(prober, "missed probes are not sent late"));
}

TEST_CASE("prober uses an unprivileged ICMP socket without CAP_NET_RAW") {
  TestNetwork network;
  must(network.in_prober("sysctl -qw net.ipv4.ping_group_range='0 2147483647'"));
  must(network.in_reflector("ip route add unreachable 203.0.113.50/32"));
  ProberProcess prober(network, reflector_list({reflector_v4(0), reflector_v4(1), "203.0.113.50"}) +
                                    "probe_rate_hz = 30\nmethod = \"timestamp\"\ntimeout_ms = 500\n",
                       ProberLaunch{{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                     "--inh-caps=-all", "--bounding-set=-all"},
                                    {},
                                    ""});
  REQUIRE_MESSAGE(prober.wait_for_samples(30, 5s), prober.log());

  Entries entries = prober.samples();
  std::size_t replies = 0;
  std::size_t errors = 0;
  for (const auto& entry : entries) {
    const ProbeSample& sample = entry.record;
    CHECK(sample.method == ProbeMethod::echo);
    if (address_of(sample) == "203.0.113.50") {
      // Reported through the socket's error queue (IP_RECVERR); the router
      // sends only a few (see the errors test), the rest time out.
      CHECK(sample.status != SampleStatus::reply);
      if (sample.status == SampleStatus::error) {
        CHECK(sample.icmp_type == 3);
        ++errors;
      }
    } else {
      CHECK(sample.status == SampleStatus::reply);
      CHECK(sample.rtt_ns > 0);
      CHECK(sample.rtt_ns < 20'000'000);
      replies += sample.status == SampleStatus::reply ? 1 : 0;
    }
  }
  CHECK(replies >= 15);
  CHECK(errors >= 3);
  CHECK(prober.status()->unprivileged_socket == 1);
  CHECK(proc_status_field(prober.process().pid(), "CapEff") == "0000000000000000");
  CHECK(log_contains(prober, "unprivileged ICMP socket, which cannot send timestamp requests"));
}

TEST_CASE("prober rejects bad startup input with exit status") {
  TestNetwork network;
  SUBCASE("unknown interface") {
    ProberProcess prober(network, reflector_list({reflector_v4(0)}) + "interface = \"nosuch0\"\n");
    CHECK(prober.process().wait(5s) == 1);
    CHECK(log_contains(prober, "prober.interface = \"nosuch0\": no such network interface"));
  }
  SUBCASE("source address not of this host") {
    ProberProcess prober(network, reflector_list({reflector_v4(0)}) + "source_address = \"198.51.100.77\"\n");
    CHECK(prober.process().wait(5s) == 1);
    CHECK(log_contains(prober, "prober.source_address = \"198.51.100.77\""));
    CHECK(log_contains(prober, "Cannot assign requested address"));
  }
  SUBCASE("invalid configuration") {
    ProberProcess prober(network, "reflectors = [\"203.0.113.10\", \"203.0.113.10\", \"host.example\"]\n"
                                  "probe_rate_hz = 0\n");
    CHECK(prober.process().wait(5s) == 78);
    CHECK(log_contains(prober, "\"203.0.113.10\" is listed twice"));
    CHECK(log_contains(prober, "\"host.example\" is not a numeric IPv4 or IPv6 address"));
    CHECK(log_contains(prober, "prober.probe_rate_hz = 0: must be greater than 0"));
  }
  SUBCASE("empty reflector list") {
    ProberProcess prober(network, "reflectors = []\n");
    CHECK(prober.process().wait(5s) == 78);
    CHECK(log_contains(prober, "prober.reflectors = []: the list is empty"));
  }
  SUBCASE("unknown user") {
    ProberProcess prober(network, reflector_list({reflector_v4(0)}) + "user = \"no-such-user-wpr\"\n");
    CHECK(prober.process().wait(5s) == 1);
    CHECK(log_contains(prober, "prober.user = \"no-such-user-wpr\": no such user"));
  }
}

TEST_CASE("prober recreates a mismatched ring only when asked") {
  TestNetwork network;
  const std::string table = reflector_list({reflector_v4(0)}) + "probe_rate_hz = 20\n";

  // A ring of the wrong capacity under the samples name stops the prober.
  std::string instance = ProberProcess::unique_instance();
  std::string name = object_name(instance, "samples");
  (void)RingWriter<ProbeSample>::open(name, 8, false);
  {
    ProberProcess refused(network, table, ProberLaunch{{}, {}, instance});
    CHECK(refused.process().wait(5s) == 1);
    CHECK(log_contains(refused, name));
    CHECK(log_contains(refused, "--recreate"));
  }

  // With --recreate it replaces the object and runs.
  (void)RingWriter<ProbeSample>::open(name, 8, false);
  ProberProcess recreated(network, table, ProberLaunch{{}, {"--recreate"}, instance});
  REQUIRE_MESSAGE(recreated.wait_for_samples(5, 5s), recreated.log());
  CHECK(RingReader<ProbeSample>::observer(name).capacity() == RecordTraits<ProbeSample>::default_capacity);
  CHECK(recreated.process().running());
}

// Benchmarks of the real wanctl-prober in network namespaces of its own
// (same topology as the integration tests). Needs root.
//
//   prober_bench cpu [SECONDS]      CPU time at 20 probes/s, scaled to one hour,
//                                   with the veth receive path in NAPI threads
//                                   and then on a plain veth pair, and iputils
//                                   ping's at the same rate for reference
//   prober_bench max-rate           highest probe rate without loss on a veth pair
//   prober_bench vs-ping [SECONDS]  median RTT against iputils ping on the same path
//
// Every run prints the machine (nproc, kernel, load average) with its figures.
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "netns_fixture.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

std::string machine() {
  utsname name{};
  ::uname(&name);
  std::string load = read_file("/proc/loadavg");
  load = load.substr(0, load.find(' ', load.find(' ', load.find(' ') + 1) + 1));
  return "nproc " + std::to_string(std::thread::hardware_concurrency()) + ", kernel " + name.release +
         ", load average " + load;
}

// CPU time of a process in seconds, twice: the scheduler's exact runtime
// (/proc/PID/schedstat) and utime + stime from /proc/PID/stat, which counts
// in clock ticks.
struct CpuTime {
  double schedstat_s;
  double stat_s;
};

CpuTime cpu_time(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid);
  CpuTime result{};
  std::istringstream schedstat(read_file(path + "/schedstat"));
  long long runtime_ns = 0;
  schedstat >> runtime_ns;
  result.schedstat_s = static_cast<double>(runtime_ns) / 1e9;

  std::string stat = read_file(path + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> values;
  for (std::string value; fields >> value;) {
    values.push_back(value);
  }
  // Fields 14 and 15 of stat (utime, stime) are at 11 and 12 after the ")".
  long ticks = std::stol(values.at(11)) + std::stol(values.at(12));
  result.stat_s = static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  return result;
}

double median(std::vector<double> values) {
  if (values.empty()) {
    return 0;
  }
  auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

// Moves the veth pair's receive processing into NAPI kernel threads. By
// default a veth transmit runs the peer's whole receive path, including the
// reflector's ICMP reply and its way back, in the sender's softirq, which
// the scheduler charges to the prober. With GRO on, TSO off and threaded
// NAPI, that work runs in the napi/wp0 and napi/wr0 threads, as receive
// work on a real NIC would.
void use_napi_threads(const TestNetwork& network) {
  must(network.in_prober("ethtool -K wp0 tso off gro on rx-gro-list on"));
  must(network.in_reflector("ethtool -K wr0 tso off gro on rx-gro-list on"));
  must(network.in_prober("sh -c 'echo 1 > /sys/class/net/wp0/threaded'"));
  must(network.in_reflector("sh -c 'echo 1 > /sys/class/net/wr0/threaded'"));
}

int measure_cpu(int seconds, bool napi_threads) {
  TestNetwork network;
  if (napi_threads) {
    use_napi_threads(network);
  }
  ProberProcess prober(network, "reflectors = [\"" + reflector_v4(0) + "\", \"" + reflector_v4(1) + "\", \"" +
                                    reflector_v4(2) + "\"]\nprobe_rate_hz = 20\nmethod = \"timestamp\"\n");
  if (!prober.wait_for_samples(20, std::chrono::seconds(5))) {
    std::fprintf(stderr, "prober did not start:\n%s\n", prober.log().c_str());
    return 1;
  }

  // Start-up work (config, sockets, shared memory) is left out.
  pid_t pid = prober.process().pid();
  CpuTime start = cpu_time(pid);
  std::uint64_t sent_before = prober.status()->probes_sent;
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  CpuTime end = cpu_time(pid);
  ProberStatus status = *prober.status();

  double scale = 3600.0 / seconds;
  double schedstat_s = end.schedstat_s - start.schedstat_s;
  double stat_s = end.stat_s - start.stat_s;
  std::uint64_t probes = status.probes_sent - sent_before;
  std::printf("machine: %s\n", machine().c_str());
  std::printf("cpu (%s): %d s at 20 probes/s (timestamp, 3 reflectors), %llu probes, %llu timeouts\n",
              napi_threads ? "veth receive in NAPI threads" : "plain veth", seconds,
              static_cast<unsigned long long>(probes), static_cast<unsigned long long>(status.timeouts));
  std::printf("cpu: schedstat %.4f s -> %.3f CPU-s per hour (%.4f%% of one core, %.1f us per probe)\n", schedstat_s,
              schedstat_s * scale, schedstat_s / seconds * 100,
              probes > 0 ? schedstat_s * 1e6 / static_cast<double>(probes) : 0.0);
  std::printf("cpu: utime+stime %.2f s -> %.2f CPU-s per hour (clock ticks of %ld ms)\n", stat_s, stat_s * scale,
              1000 / ::sysconf(_SC_CLK_TCK));
  std::fflush(stdout);
  return 0;
}

// The same measurement for iputils ping at the same rate, as a reference
// for what one probe costs on this machine and kernel.
int measure_ping_cpu(int seconds) {
  TestNetwork network;
  use_napi_threads(network);
  int count = (seconds + 5) * 20;
  LoggedProcess ping({"ip", "netns", "exec", network.prober_ns(), "ping", "-q", "-i", "0.05", "-c",
                      std::to_string(count), reflector_v4(0)},
                     "/tmp/wpr-bench-ping-" + std::to_string(::getpid()) + ".log");
  std::this_thread::sleep_for(std::chrono::seconds(2));
  CpuTime start = cpu_time(ping.pid());
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  CpuTime end = cpu_time(ping.pid());

  double schedstat_s = end.schedstat_s - start.schedstat_s;
  std::printf("machine: %s\n", machine().c_str());
  std::printf("cpu (iputils ping -i 0.05, veth receive in NAPI threads): %d s, %d probes\n", seconds, seconds * 20);
  std::printf("cpu: schedstat %.4f s -> %.3f CPU-s per hour (%.1f us per probe)\n", schedstat_s,
              schedstat_s * 3600.0 / seconds, schedstat_s * 1e6 / (seconds * 20.0));
  std::fflush(stdout);
  return 0;
}

int run_cpu(int seconds) {
  int status = measure_cpu(seconds, true);
  status = status != 0 ? status : measure_cpu(seconds, false);
  return status != 0 ? status : measure_ping_cpu(seconds);
}

struct RateResult {
  double rate_hz;
  std::uint64_t sent;
  std::uint64_t replies;
  std::uint64_t timeouts;
  std::uint64_t skipped;
  double cpu_percent;
};

RateResult try_rate(const TestNetwork& network, double rate_hz, int seconds) {
  char rate[32];
  std::snprintf(rate, sizeof(rate), "%g", rate_hz);
  ProberProcess prober(network, "reflectors = [\"" + reflector_v4(0) + "\", \"" + reflector_v4(1) + "\", \"" +
                                    reflector_v4(2) + "\"]\nprobe_rate_hz = " + rate +
                                    "\nmethod = \"echo\"\ntimeout_ms = 1000\n");
  RateResult result{rate_hz, 0, 0, 0, 0, 0};
  if (!prober.wait_started()) {
    std::fprintf(stderr, "prober did not start at %s probes/s:\n%s\n", rate, prober.log().c_str());
    return result;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ProberStatus before = *prober.status();
  CpuTime cpu_before = cpu_time(prober.process().pid());
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  CpuTime cpu_after = cpu_time(prober.process().pid());
  ProberStatus sent = *prober.status();
  // Let the probes sent in the window resolve before counting losses.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  ProberStatus after = *prober.status();
  result.sent = sent.probes_sent - before.probes_sent;
  result.skipped = sent.skipped_slots - before.skipped_slots;
  result.replies = after.replies - before.replies;
  result.timeouts = after.timeouts - before.timeouts;
  result.cpu_percent = (cpu_after.schedstat_s - cpu_before.schedstat_s) / seconds * 100;
  return result;
}

int run_max_rate() {
  TestNetwork network;
  std::printf("machine: %s\n", machine().c_str());
  std::printf("max-rate: 5 s per rate, echo to 3 reflectors on a veth pair, timeout 1000 ms;\n"
              "replies and timeouts include probes sent up to 1.2 s after the window\n");
  std::printf("%10s %8s %8s %9s %8s %7s\n", "rate/s", "sent", "replies", "timeouts", "skipped", "cpu%");
  double best = 0;
  double best_without_timeouts = 0;
  bool still_loss_free = true;
  bool no_timeouts_so_far = true;
  for (double rate : {100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0}) {
    RateResult result = try_rate(network, rate, 5);
    std::printf("%10.0f %8llu %8llu %9llu %8llu %7.1f\n", result.rate_hz, static_cast<unsigned long long>(result.sent),
                static_cast<unsigned long long>(result.replies), static_cast<unsigned long long>(result.timeouts),
                static_cast<unsigned long long>(result.skipped), result.cpu_percent);
    std::fflush(stdout);
    // Loss-free: no probe timed out, and the schedule kept up (at most 5%
    // of the slots skipped because the prober woke more than half a slot
    // late).
    bool no_timeouts = result.sent > 0 && result.timeouts == 0;
    bool kept_up = result.sent >= static_cast<std::uint64_t>(rate * 5 * 0.95);
    still_loss_free = still_loss_free && no_timeouts && kept_up;
    if (still_loss_free) {
      best = rate;
    }
    no_timeouts_so_far = no_timeouts_so_far && no_timeouts;
    if (no_timeouts_so_far) {
      best_without_timeouts = rate;
    }
  }
  std::printf("max-rate: highest rate with no timeouts and at most 5%% of slots skipped: %.0f probes/s\n", best);
  std::printf("max-rate: highest rate with no timeouts: %.0f probes/s\n", best_without_timeouts);
  return 0;
}

int run_vs_ping(int seconds) {
  TestNetwork network;
  std::string reflector = reflector_v4(0);
  ProberProcess prober(network, "reflectors = [\"" + reflector + "\"]\nprobe_rate_hz = 20\nmethod = \"echo\"\n");
  if (!prober.wait_started()) {
    std::fprintf(stderr, "prober did not start:\n%s\n", prober.log().c_str());
    return 1;
  }

  // ping runs at the same time and rate on the same path, so both see the
  // same kernel and the same load.
  int count = seconds * 20;
  std::int64_t start_ns = monotonic_now_ns();
  CommandResult ping = run_command(network.in_prober("ping -n -i 0.05 -c " + std::to_string(count) + " " + reflector));
  std::int64_t end_ns = monotonic_now_ns();

  std::vector<double> ping_us;
  std::regex time_field("time=([0-9.]+) ms");
  std::istringstream lines(ping.out);
  for (std::string line; std::getline(lines, line);) {
    std::smatch match;
    if (std::regex_search(line, match, time_field)) {
      ping_us.push_back(std::stod(match[1]) * 1000);
    }
  }
  std::vector<double> prober_us;
  for (const auto& entry : prober.samples()) {
    const ProbeSample& sample = entry.record;
    if (sample.status == SampleStatus::reply && sample.send_mono_ns >= start_ns && sample.send_mono_ns <= end_ns) {
      prober_us.push_back(static_cast<double>(sample.rtt_ns) / 1000);
    }
  }

  double prober_median = median(prober_us);
  double ping_median = median(ping_us);
  std::printf("machine: %s\n", machine().c_str());
  std::printf("vs-ping: %d s at 20 probes/s each, echo to %s over a veth pair\n", seconds, reflector.c_str());
  std::printf("vs-ping: prober median %.1f us over %zu replies; ping median %.1f us over %zu replies\n",
              prober_median, prober_us.size(), ping_median, ping_us.size());
  std::printf("vs-ping: difference %.1f us (prober - ping)\n", prober_median - ping_median);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "prober_bench needs root for network namespaces and raw sockets\n");
    return 1;
  }
  // Built next to the prober: build/tests/prober/ and build/prober/.
  if (program_path("WANCTL_PROBER").empty()) {
    std::string self = std::filesystem::read_symlink("/proc/self/exe").parent_path();
    ::setenv("WANCTL_PROBER", (self + "/../../prober/wanctl-prober").c_str(), 1);
  }
  delete_stale_namespaces();
  std::string mode = argc > 1 ? argv[1] : "";
  int seconds = argc > 2 ? std::atoi(argv[2]) : 0;
  if (mode == "cpu") {
    return run_cpu(seconds > 0 ? seconds : 60);
  }
  if (mode == "max-rate") {
    return run_max_rate();
  }
  if (mode == "vs-ping") {
    return run_vs_ping(seconds > 0 ? seconds : 30);
  }
  std::fprintf(stderr, "usage: prober_bench cpu [SECONDS] | max-rate | vs-ping [SECONDS]\n");
  return 2;
}

// Costs of wanctl-steering. It measures one cycle of the service (read both
// WANs' blocks, assess, decide, publish) and one change of the Linux policy
// rule or of the RouterOS mangle rule with its verification. It also
// measures the CPU time of the process over a run.
//
// Usage: steering_bench cycle [CYCLES]
//        steering_bench rule [CHANGES]        (root: creates its own network namespace)
//        steering_bench mangle [CHANGES]      (WANCTL_ROUTEROS_EMULATOR names the emulator)
//        steering_bench process [SECONDS]     (root; WANCTL_STEERING names the binary)
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fake_action.hpp"
#include "mangle_rule.hpp"
#include "policy_rule.hpp"
#include "routeros_emulator_process.hpp"
#include "steering_process.hpp"
#include "steering_service.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

using Clock = std::chrono::steady_clock;

double percentile_us(std::vector<double> values_us, double share) {
  std::sort(values_us.begin(), values_us.end());
  auto index = static_cast<std::size_t>(share * static_cast<double>(values_us.size() - 1));
  return values_us[index];
}

void print_spread(const char* what, const std::vector<double>& values_us) {
  std::printf("%s: p50 %.1f us, p99 %.1f us, max %.1f us over %zu\n", what, percentile_us(values_us, 0.5),
              percentile_us(values_us, 0.99), percentile_us(values_us, 1.0), values_us.size());
}

// The service with a fake device, both WANs published every cycle; the time
// of cycle() alone is measured. The primary turns congested and healthy in
// turns so that the decider also steers and returns now and then.
int bench_cycle(int cycles) {
  SteeringConfig config;
  config.site = unique_instance("bench");
  ObjectCleanup status_cleanup(object_name(config.site, "steering"));
  WanBlocks primary(unique_instance("primary"));
  WanBlocks alternate(unique_instance("alternate"));
  config.primary = primary.instance();
  config.alternate = alternate.instance();
  config.history_file = "/tmp/wanctl-steering-bench-" + config.site + ".json";

  auto device = std::make_shared<FakeDevice>();
  SteeringService service(config, std::make_unique<FakeAction>(device), false);
  spdlog::set_level(spdlog::level::warn);

  std::vector<double> cycle_us;
  std::int64_t now_ns = monotonic_now_ns();
  for (int i = 0; i < cycles; ++i) {
    now_ns += 100'000'000;
    bool congested_now = (i / 600) % 2 == 1;  // 60 s each
    primary.publish(congested_now ? congested(static_cast<std::uint64_t>(i)) : healthy(), now_ns);
    alternate.publish(healthy(), now_ns);
    auto start = Clock::now();
    service.cycle(now_ns);
    cycle_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  std::remove(config.history_file.c_str());
  print_spread("service cycle", cycle_us);
  std::printf("device writes: %d\n", device->writes);
  return 0;
}

// Alternating apply(true) and apply(false) of an IPv4 and IPv6 fwmark rule;
// each call dumps, writes and dumps again to verify.
int bench_rule(int changes) {
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET) (needs root)");
    return 77;
  }
  LinuxRuleConfig config;
  config.fwmark = 0x10;
  config.table = 200;
  config.priority = 100;
  config.families = RuleFamilies::both;
  PolicyRuleAction action(config);

  std::vector<double> add_us;
  std::vector<double> remove_us;
  for (int i = 0; i < changes; ++i) {
    bool steered = i % 2 == 0;
    auto start = Clock::now();
    ActionOutcome outcome = action.apply(steered);
    double elapsed_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    if (!outcome.ok) {
      std::fprintf(stderr, "apply failed: %s\n", outcome.error.c_str());
      return 1;
    }
    if (i >= changes / 10) {  // the first tenth warms caches up
      (steered ? add_us : remove_us).push_back(elapsed_us);
    }
  }
  print_spread("add both rules + verify", add_us);
  print_spread("remove both rules + verify", remove_us);
  return 0;
}

// Alternating apply(true) and apply(false) of one mangle rule on the emulated
// router over HTTP on loopback: each call reads the rule list, patches the
// rule and reads it back.
int bench_mangle(int changes) {
  RouterOsEmulator router({false, R"({"ip/firewall/mangle": [
      {"chain": "prerouting", "action": "mark-routing", "comment": "wanctl-steer", "disabled": "true"}]})",
                           "test-password"});
  ::setenv("WANCTL_BENCH_ROUTER_PASSWORD", "test-password", 1);
  MangleRuleConfig config;
  config.comment = "wanctl-steer";
  config.router.url = router.url();
  config.router.user = "wanctl";
  config.router.password_env = "WANCTL_BENCH_ROUTER_PASSWORD";
  MangleRuleAction action(config);

  std::vector<double> change_us;
  for (int i = 0; i < changes; ++i) {
    auto start = Clock::now();
    ActionOutcome outcome = action.apply(i % 2 == 0);
    double elapsed_us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    if (!outcome.ok) {
      std::fprintf(stderr, "apply failed: %s\n", outcome.error.c_str());
      return 1;
    }
    if (i >= changes / 10) {
      change_us.push_back(elapsed_us);
    }
  }
  print_spread("toggle mangle rule + read back (3 requests)", change_us);
  return 0;
}

double process_cpu_s(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int index = 3; fields >> field; ++index) {
    if (index == 14 || index == 15) {  // utime, stime
      ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// wanctl-steering with the default 100 ms interval, both WANs published ten
// times a second, for `seconds`; CPU time from /proc after the start-up.
int bench_process(int seconds) {
  if (::unshare(CLONE_NEWNET) != 0) {
    std::perror("unshare(CLONE_NEWNET) (needs root)");
    return 77;
  }
  WanFeed feed;
  SiteFiles files;
  files.write_config(feed, 30, "linux", "[action.linux]\nfwmark = 0x10\ntable = 200\npriority = 100\n");
  {
    std::string text = read_file(files.config);
    text.replace(text.find("activation_s = 1"), 16, "activation_s = 4");
    std::ofstream(files.config, std::ios::trunc) << text;
  }
  ChildProcess steering = start_steering(files);
  if (!wait_until([&] { return started(files, steering); }, 5s)) {
    std::fprintf(stderr, "wanctl-steering did not start:\n%s", read_file(files.log).c_str());
    return 1;
  }

  double cpu_before_s = process_cpu_s(steering.pid());
  auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  double cpu_s = process_cpu_s(steering.pid()) - cpu_before_s;
  double wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  steering.kill(SIGTERM);
  steering.wait_for(3000ms);
  std::printf("process CPU: %.3f s in %.1f s (%.3f%% of one core)\n", cpu_s, wall_s, 100.0 * cpu_s / wall_s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  int count = argc > 2 ? std::stoi(argv[2]) : 0;
  if (mode == "cycle") {
    return bench_cycle(count > 0 ? count : 36'000);
  }
  if (mode == "rule") {
    return bench_rule(count > 0 ? count : 2000);
  }
  if (mode == "mangle") {
    return bench_mangle(count > 0 ? count : 500);
  }
  if (mode == "process") {
    return bench_process(count > 0 ? count : 60);
  }
  std::fprintf(stderr, "usage: steering_bench cycle [CYCLES] | rule [CHANGES] | mangle [CHANGES] | process [SECONDS]\n");
  return 2;
}

// wanctl-steering as a user runs it: a real process in this test's network
// namespace, reading WAN blocks this test publishes, switching a real policy
// rule, inspected with `ip rule` and wanctl-tap, stopped with SIGTERM.
#include <doctest/doctest.h>

#include "fresh_namespace.hpp"
#include "notify_listener.hpp"
#include "steering_process.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

void write_linux_config(const SiteFiles& files, const WanFeed& feed, int recovery_s = 2) {
  files.write_config(feed, recovery_s, "linux",
                     "[action.linux]\nfwmark = 0x10\ntable = 200\npriority = 100\nfamilies = \"ipv4\"\n");
}

bool rule_present() { return run_command("ip -4 rule show").out.find("fwmark 0x10 lookup 200") != std::string::npos; }

int rule_count() {
  std::string text = run_command("ip -4 rule show").out;
  int count = 0;
  for (std::size_t at = text.find("fwmark 0x10 lookup 200"); at != std::string::npos;
       at = text.find("fwmark 0x10 lookup 200", at + 1)) {
    ++count;
  }
  return count;
}

}  // namespace

TEST_CASE("steering process moves marked traffic and brings it back") {
  fresh_namespace();
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_linux_config(files, feed);
  ChildProcess steering = start_steering(files);
  REQUIRE(wait_until([&] { return started(files, steering); }, 5s));
  CHECK_FALSE(rule_present());

  feed.set_primary_congested(true);
  std::optional<double> moved_after_s = wait_until(rule_present, 5s);
  REQUIRE(moved_after_s);
  // Activation 1 s, plus at most one status sample (0.1 s) and one cycle
  // (0.1 s); the margin covers a busy machine.
  CHECK(*moved_after_s >= 0.9);
  CHECK(*moved_after_s <= 1.6);

  // The status block follows within the same cycle as the rule.
  auto status_steered = [&] { return tap_json(files).find("\"steered\":1") != std::string::npos; };
  REQUIRE(wait_until(status_steered, 1s));
  std::string json = tap_json(files);
  CHECK(json.find("\"primary_health\":\"RED\"") != std::string::npos);
  CHECK(json.find("\"transition0_reason\":\"" + feed.primary() + " RED for 1.") != std::string::npos);

  feed.set_primary_congested(false);
  std::optional<double> returned_after_s = wait_until([] { return !rule_present(); }, 6s);
  REQUIRE(returned_after_s);
  CHECK(*returned_after_s >= 1.9);
  CHECK(*returned_after_s <= 2.6);

  steering.kill(SIGTERM);
  CHECK(steering.wait_for(3000ms) == 0);
  std::string log = read_file(files.log);
  CHECK(log.find("moved latency-sensitive traffic to " + feed.alternate()) != std::string::npos);
  CHECK(log.find("returned latency-sensitive traffic to " + feed.primary()) != std::string::npos);
  CHECK(log.find("stopped; the device keeps its state") != std::string::npos);

  std::string history = read_file(files.history);
  CHECK(history.find("\"transitions_total\": 2") != std::string::npos);
}

TEST_CASE("steering process adopts a rule present at start") {
  fresh_namespace();
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_linux_config(files, feed);
  run_command("ip -4 rule add fwmark 0x10 lookup 200 pref 100");

  ChildProcess steering = start_steering(files);
  REQUIRE(wait_until([&] { return started(files, steering); }, 5s));
  std::string json = tap_json(files);
  CHECK(json.find("\"steered\":1") != std::string::npos);
  CHECK(json.find("adopted at start: the rule was active on the device") != std::string::npos);
  CHECK(rule_count() == 1);

  // Healthy primary: back after the recovery time, as with a decision of its own.
  CHECK(wait_until([] { return !rule_present(); }, 5s));
  steering.kill(SIGTERM);
  CHECK(steering.wait_for(3000ms) == 0);
}

TEST_CASE("steering process restores a rule deleted by hand") {
  fresh_namespace();
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_linux_config(files, feed, 600);
  ChildProcess steering = start_steering(files);
  REQUIRE(wait_until([&] { return started(files, steering); }, 5s));
  feed.set_primary_congested(true);
  REQUIRE(wait_until(rule_present, 5s));
  feed.set_primary_congested(false);

  run_command("ip -4 rule del fwmark 0x10 lookup 200 pref 100");
  CHECK(wait_until(rule_present, 3s));
  CHECK(wait_until([&] { return tap_json(files).find("\"external_changes\":1") != std::string::npos; }, 1s));
  CHECK(read_file(files.log).find("was changed outside wanctl") != std::string::npos);
  steering.kill(SIGTERM);
  CHECK(steering.wait_for(3000ms) == 0);
}

TEST_CASE("steering process keeps its history across a restart") {
  fresh_namespace();
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_linux_config(files, feed, 600);
  {
    ChildProcess steering = start_steering(files);
    REQUIRE(wait_until([&] { return started(files, steering); }, 5s));
    feed.set_primary_congested(true);
    REQUIRE(wait_until(rule_present, 5s));
    steering.kill(SIGTERM);
    REQUIRE(steering.wait_for(3000ms) == 0);
  }
  CHECK(rule_present());  // a stop leaves the device as it is

  ChildProcess steering = start_steering(files);
  REQUIRE(wait_until([&] { return started(files, steering); }, 5s));
  std::string json = tap_json(files);
  CHECK(json.find("\"steered\":1") != std::string::npos);
  CHECK(json.find("\"transitions_total\":1") != std::string::npos);
  CHECK(rule_count() == 1);
  steering.kill(SIGTERM);
  CHECK(steering.wait_for(3000ms) == 0);
}

TEST_CASE("steering process rejects a WAN without shared-memory objects") {
  fresh_namespace();
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_linux_config(files, feed);
  std::string text = read_file(files.config);
  std::string missing = "nosuch-" + std::to_string(::getpid());
  text.replace(text.find(feed.alternate()), feed.alternate().size(), missing);
  std::ofstream(files.config, std::ios::trunc) << text;

  CommandResult result = run_command(steering_program() + " --config " + files.config);
  CHECK(result.status == 1);
  CHECK(result.err.find("site.alternate = \"" + missing + "\": cannot open shared-memory object wanctl." + missing +
                        ".status") != std::string::npos);
  CHECK(result.err.find("does not exist") != std::string::npos);
}

TEST_CASE("steering process reports every config error") {
  fresh_namespace();
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  std::ofstream(files.config) << "[site]\nname = \"x\"\nprimary = \"wan1\"\nalternate = \"wan1\"\n"
                              << "[steering]\nactivation_s = 0\nrecovery_s = -5\n"
                              << "[action]\nkind = \"linux\"\n[action.linux]\nfwmark = 1\ntable = 200\npriority = 10\n";
  CommandResult result = run_command(steering_program() + " --config " + files.config);
  CHECK(result.status == 2);
  CHECK(result.err.find("site.alternate = \"wan1\": is the same WAN as site.primary") != std::string::npos);
  CHECK(result.err.find("steering.activation_s = 0: must be greater than 0 s") != std::string::npos);
  CHECK(result.err.find("steering.recovery_s = -5: must be greater than 0 s") != std::string::npos);
}

TEST_CASE("steering process notifies systemd of readiness, transitions and stop") {
  fresh_namespace();
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_linux_config(files, feed);
  NotifyListener listener("/tmp/wanctl-notify-" + files.site);

  ::setenv("NOTIFY_SOCKET", listener.path().c_str(), 1);
  ChildProcess steering = start_steering(files);
  ::unsetenv("NOTIFY_SOCKET");

  std::string ready = listener.read_until("READY=1");
  CHECK_MESSAGE(ready.find("READY=1") != std::string::npos, ready);

  feed.set_primary_congested(true);
  std::string moved = listener.read_until("STATUS=steered to " + feed.alternate());
  CHECK_MESSAGE(moved.find("STATUS=steered to " + feed.alternate()) != std::string::npos, moved);

  steering.kill(SIGTERM);
  CHECK(steering.wait_for(3000ms) == 0);
  std::string stopping = listener.read_until("STOPPING=1");
  CHECK_MESSAGE(stopping.find("STOPPING=1") != std::string::npos, stopping);
}

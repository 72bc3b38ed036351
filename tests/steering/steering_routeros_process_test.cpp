// wanctl-steering as a process against the emulated RouterOS router: the
// mangle rule is enabled when the primary is congested, a change made on the
// router behind wanctl's back is set back, and the rule is disabled again
// after recovery.
#include <doctest/doctest.h>

#include <cstdlib>

#include "routeros_emulator_process.hpp"
#include "steering_process.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

constexpr const char* kPasswordVariable = "WANCTL_TEST_ROUTER_PASSWORD";

const char* kRouterMangle = R"({
  "ip/firewall/mangle": [
    {"chain": "prerouting", "action": "mark-routing", "new-routing-mark": "via-wan2",
     "comment": "wanctl-steer", "disabled": "true"}
  ]
})";

void write_routeros_config(const SiteFiles& files, const WanFeed& feed, const std::string& url, int recovery_s) {
  ::setenv(kPasswordVariable, "test-password", 1);
  files.write_config(feed, recovery_s, "routeros",
                     "[action.routeros]\ncomment = \"wanctl-steer\"\nurl = \"" + url +
                         "\"\nuser = \"wanctl\"\npassword_env = \"" + kPasswordVariable + "\"\n");
}

bool rule_enabled(RouterOsEmulator& router) {
  return router.find("ip/firewall/mangle", "wanctl-steer")["disabled"] == "false";
}

}  // namespace

TEST_CASE("steering process toggles the RouterOS mangle rule") {
  RouterOsEmulator router({false, kRouterMangle, "test-password"});
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_routeros_config(files, feed, router.url(), 2);
  ChildProcess steering = start_steering(files);
  REQUIRE(wait_until([&] { return started(files, steering); }, 5s));
  CHECK_FALSE(rule_enabled(router));
  CHECK(router.requests("PATCH").empty());  // adopting the router's state writes nothing

  feed.set_primary_congested(true);
  std::optional<double> enabled_after_s = wait_until([&] { return rule_enabled(router); }, 5s);
  REQUIRE(enabled_after_s);
  CHECK(*enabled_after_s <= 1.6);

  // Someone disables the rule on the router; the next verification (every
  // second here) enables it again.
  router.fault({{"set", {{"menu", "ip/firewall/mangle"}, {"name", "wanctl-steer"}, {"fields", {{"disabled", "true"}}}}}});
  REQUIRE_FALSE(rule_enabled(router));
  CHECK(wait_until([&] { return rule_enabled(router); }, 3s));
  CHECK(wait_until([&] { return tap_json(files).find("\"external_changes\":1") != std::string::npos; }, 1s));

  feed.set_primary_congested(false);
  CHECK(wait_until([&] { return !rule_enabled(router); }, 5s));
  CHECK(router.requests("PATCH").size() == 3);

  steering.kill(SIGTERM);
  CHECK(steering.wait_for(3000ms) == 0);
}

TEST_CASE("steering process reports a comment matching several rules") {
  const char* duplicated = R"({
    "ip/firewall/mangle": [
      {"chain": "prerouting", "action": "mark-routing", "comment": "wanctl-steer", "disabled": "true"},
      {"chain": "forward", "action": "mark-routing", "comment": "wanctl-steer", "disabled": "true"}
    ]
  })";
  RouterOsEmulator router({false, duplicated, "test-password"});
  WanFeed feed;
  SiteFiles files;
  INFO("wanctl-steering log:\n" << read_file(files.log));
  write_routeros_config(files, feed, router.url(), 2);
  ChildProcess steering = start_steering(files);

  auto failing = [&] { return tap_json(files).find("\"action_state\":\"failing\"") != std::string::npos; };
  REQUIRE(wait_until(failing, 5s));
  std::string json = tap_json(files);
  CHECK(json.find("2 rules in /ip/firewall/mangle have comment \\\"wanctl-steer\\\"") != std::string::npos);
  CHECK(router.requests("PATCH").empty());
  CHECK(read_file(files.log).find("have comment \"wanctl-steer\" (*11, *12); none was changed") != std::string::npos);

  steering.kill(SIGTERM);
  CHECK(steering.wait_for(3000ms) == 0);
}

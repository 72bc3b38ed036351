// The RouterOS action against the emulated router's /ip/firewall/mangle:
// finding the rule by comment, enabling and disabling it with a read-back,
// rules changed behind wanctl's back, and comments that match no rule or
// several.
#include <doctest/doctest.h>

#include <cstdlib>

#include "mangle_rule.hpp"
#include "routeros_emulator_process.hpp"

using namespace wanctl;

namespace {

constexpr const char* kPasswordVariable = "WANCTL_TEST_ROUTER_PASSWORD";

const char* kMangleState = R"({
  "ip/firewall/mangle": [
    {"chain": "prerouting", "action": "mark-connection", "new-connection-mark": "voip", "comment": "voip-conn"},
    {"chain": "prerouting", "action": "mark-routing", "new-routing-mark": "via-wan2",
     "connection-mark": "voip", "comment": "wanctl-steer", "disabled": "true"},
    {"chain": "prerouting", "action": "mark-routing", "new-routing-mark": "via-wan2",
     "comment": "wanctl-steer-games", "disabled": "true"}
  ]
})";

MangleRuleConfig mangle_config(const std::string& url, const std::string& comment = "wanctl-steer") {
  ::setenv(kPasswordVariable, "test-password", 1);
  MangleRuleConfig config;
  config.comment = comment;
  config.router.url = url;
  config.router.user = "wanctl";
  config.router.password_env = kPasswordVariable;
  config.router.request_timeout_ms = 1000;
  return config;
}

test::RouterOsEmulator router_with(const char* state) { return test::RouterOsEmulator({false, state, "test-password"}); }

std::string disabled_of(test::RouterOsEmulator& router, const std::string& comment) {
  nlohmann::json rule = router.find("ip/firewall/mangle", comment);
  REQUIRE(rule.is_object());
  return rule["disabled"].get<std::string>();
}

}  // namespace

TEST_CASE("mangle rule is enabled, read back and disabled") {
  auto router = router_with(kMangleState);
  MangleRuleAction action(mangle_config(router.url()));

  DeviceReading before = action.read();
  REQUIRE_MESSAGE(before.ok, before.error);
  CHECK_FALSE(before.steered);

  router.clear_log();
  ActionOutcome on = action.apply(true);
  REQUIRE_MESSAGE(on.ok, on.error);
  CHECK(on.writes == 1);
  CHECK(disabled_of(router, "wanctl-steer") == "false");
  CHECK(disabled_of(router, "wanctl-steer-games") == "true");  // a comment that merely starts alike

  std::vector<nlohmann::json> patches = router.requests("PATCH", "/rest/ip/firewall/mangle/");
  REQUIRE(patches.size() == 1);
  CHECK(nlohmann::json::parse(patches[0]["body"].get<std::string>()) == nlohmann::json{{"disabled", "false"}});
  // The write is followed by a read of the same rule.
  std::vector<nlohmann::json> reads = router.requests("GET", patches[0]["path"].get<std::string>());
  CHECK(reads.size() == 1);

  ActionOutcome off = action.apply(false);
  REQUIRE_MESSAGE(off.ok, off.error);
  CHECK(disabled_of(router, "wanctl-steer") == "true");
}

TEST_CASE("mangle rule in the wanted state is not written") {
  auto router = router_with(kMangleState);
  MangleRuleAction action(mangle_config(router.url()));
  router.clear_log();
  ActionOutcome outcome = action.apply(false);
  CHECK(outcome.ok);
  CHECK(outcome.writes == 0);
  CHECK(router.requests("PATCH").empty());
}

TEST_CASE("mangle rule changed behind wanctl's back is read as it is") {
  auto router = router_with(kMangleState);
  MangleRuleAction action(mangle_config(router.url()));
  REQUIRE(action.apply(true).ok);

  router.fault({{"set", {{"menu", "ip/firewall/mangle"}, {"name", "wanctl-steer"}, {"fields", {{"disabled", "true"}}}}}});
  DeviceReading reading = action.read();
  REQUIRE(reading.ok);
  CHECK_FALSE(reading.steered);

  ActionOutcome outcome = action.apply(true);
  CHECK(outcome.ok);
  CHECK(outcome.writes == 1);
  CHECK(disabled_of(router, "wanctl-steer") == "false");
}

TEST_CASE("mangle rule recreated with a new id is found again") {
  auto router = router_with(kMangleState);
  MangleRuleAction action(mangle_config(router.url()));
  REQUIRE(action.apply(true).ok);
  std::string old_id = router.find("ip/firewall/mangle", "wanctl-steer")[".id"];

  router.fault({{"recreate", {{"menu", "ip/firewall/mangle"}, {"name", "wanctl-steer"}}}});
  router.fault({{"set", {{"menu", "ip/firewall/mangle"}, {"name", "wanctl-steer"}, {"fields", {{"disabled", "true"}}}}}});
  REQUIRE(router.find("ip/firewall/mangle", "wanctl-steer")[".id"] != old_id);

  ActionOutcome outcome = action.apply(true);
  REQUIRE_MESSAGE(outcome.ok, outcome.error);
  CHECK(disabled_of(router, "wanctl-steer") == "false");
}

TEST_CASE("mangle comment matching no rule names the comment") {
  auto router = router_with(kMangleState);
  MangleRuleAction action(mangle_config(router.url(), "no-such-rule"));
  DeviceReading reading = action.read();
  CHECK_FALSE(reading.ok);
  CHECK(reading.state == DeviceState::missing);
  CHECK(reading.error ==
        "no rule in /ip/firewall/mangle has comment \"no-such-rule\"; add the steering rule on the router or fix "
        "action.routeros.comment");
  router.clear_log();
  CHECK_FALSE(action.apply(true).ok);
  CHECK(router.requests("PATCH").empty());
}

TEST_CASE("mangle comment matching several rules changes none") {
  const char* duplicated = R"({
    "ip/firewall/mangle": [
      {"chain": "prerouting", "action": "mark-routing", "comment": "wanctl-steer", "disabled": "true"},
      {"chain": "forward", "action": "mark-routing", "comment": "wanctl-steer", "disabled": "true"}
    ]
  })";
  auto router = router_with(duplicated);
  MangleRuleAction action(mangle_config(router.url()));
  router.clear_log();

  ActionOutcome outcome = action.apply(true);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.error.find("2 rules in /ip/firewall/mangle have comment \"wanctl-steer\" (*11, *12); none was changed") ==
        0);
  CHECK(router.requests("PATCH").empty());
  nlohmann::json state = router.state();
  for (const nlohmann::json& rule : state["ip/firewall/mangle"]) {
    CHECK(rule["disabled"] == "true");
  }
}

TEST_CASE("mangle write errors are reported, not applied") {
  auto router = router_with(kMangleState);
  MangleRuleAction action(mangle_config(router.url()));
  router.fault({{"status", 500}, {"count", 1}, {"method", "PATCH"}});
  ActionOutcome outcome = action.apply(true);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.state == DeviceState::failing);
  CHECK(outcome.error.find("enabling mangle rule with comment \"wanctl-steer\"") == 0);
  CHECK(outcome.error.find("HTTP 500") != std::string::npos);
  CHECK(disabled_of(router, "wanctl-steer") == "true");

  ActionOutcome retry = action.apply(true);
  CHECK(retry.ok);
  CHECK(disabled_of(router, "wanctl-steer") == "false");
}

TEST_CASE("mangle rejected credentials are reported") {
  auto router = router_with(kMangleState);
  router.fault({{"password", "rotated"}});
  MangleRuleAction action(mangle_config(router.url()));
  DeviceReading reading = action.read();
  CHECK_FALSE(reading.ok);
  CHECK(reading.state == DeviceState::unauthorized);
  CHECK(reading.error.find("action.routeros.user") != std::string::npos);
  CHECK(reading.error.find("test-password") == std::string::npos);
}

// The steering file: defaults, every check, and errors that name the key.
#include <doctest/doctest.h>

#include "steering_config.hpp"

using namespace wanctl;

namespace {

const char* kLinuxFile = R"([site]
name = "home"
primary = "wan1"
alternate = "wan2"

[steering]
history_file = "/tmp/home.steering.json"

[action]
kind = "linux"

[action.linux]
fwmark = 0x10
table = 200
priority = 100
)";

struct Read {
  SteeringConfig config;
  std::vector<std::string> errors;
};

Read read_text(const std::string& text) {
  ConfigReader reader = ConfigReader::parse(text, "steering.toml");
  Read result;
  result.config = read_steering_config(reader);
  result.errors = reader.errors();
  return result;
}

// Replaces the first occurrence of `from` in the example file.
std::string edited(const std::string& from, const std::string& to) {
  std::string text = kLinuxFile;
  std::size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

bool has_error(const Read& read, const std::string& part) {
  for (const std::string& error : read.errors) {
    if (error.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

TEST_CASE("steering config example reads with defaults") {
  Read read = read_text(kLinuxFile);
  CHECK(read.errors.empty());
  CHECK(read.config.site == "home");
  CHECK(read.config.primary == "wan1");
  CHECK(read.config.alternate == "wan2");
  CHECK(read.config.activation_s == 4.0);
  CHECK(read.config.recovery_s == 30.0);
  CHECK(read.config.stale_after_ms == 3000);
  CHECK(read.config.action == SteeringActionKind::linux_rule);
  CHECK(read.config.linux_rule.use_fwmark);
  CHECK(read.config.linux_rule.fwmark == 0x10);
  CHECK(read.config.linux_rule.fwmask == 0xffffffff);
  CHECK(read.config.linux_rule.table == 200);
  CHECK(read.config.linux_rule.priority == 100);
  CHECK(read.config.linux_rule.families == RuleFamilies::both);
}

TEST_CASE("steering config rejects the same WAN twice") {
  Read read = read_text(edited("alternate = \"wan2\"", "alternate = \"wan1\""));
  REQUIRE(read.errors.size() == 1);
  CHECK(read.errors[0] ==
        "steering.toml:4:13: site.alternate = \"wan1\": is the same WAN as site.primary; steering needs two different WANs");
}

TEST_CASE("steering config rejects non-positive hysteresis times") {
  for (const char* value : {"0", "-1", "0.0"}) {
    CAPTURE(value);
    Read activation = read_text(edited("[steering]\n", std::string("[steering]\nactivation_s = ") + value + "\n"));
    CHECK(has_error(activation, "steering.activation_s = "));
    CHECK(has_error(activation, "must be greater than 0 s"));

    Read recovery = read_text(edited("[steering]\n", std::string("[steering]\nrecovery_s = ") + value + "\n"));
    CHECK(has_error(recovery, "steering.recovery_s = "));
    CHECK(has_error(recovery, "must be greater than 0 s"));
  }
}

TEST_CASE("steering config wants recovery at least as long as activation") {
  Read read = read_text(edited("[steering]\n", "[steering]\nactivation_s = 10\nrecovery_s = 5\n"));
  CHECK(has_error(read, "steering.recovery_s = 5: must be at least steering.activation_s"));
}

TEST_CASE("steering config names missing keys") {
  Read read = read_text("[site]\nname = \"home\"\n[action]\nkind = \"linux\"\n[action.linux]\nfwmark = 1\n");
  CHECK(has_error(read, "site.primary: missing"));
  CHECK(has_error(read, "site.alternate: missing"));
  CHECK(has_error(read, "action.linux.table: missing"));
  CHECK(has_error(read, "action.linux.priority: missing"));

  Read no_action = read_text("[site]\nname = \"home\"\nprimary = \"a\"\nalternate = \"b\"\n");
  CHECK(has_error(no_action, "action.kind: missing"));
}

TEST_CASE("steering config checks the Linux rule") {
  CHECK(has_error(read_text(edited("fwmark = 0x10", "fwmark = 0x10\ndscp = 4")), "give exactly one of fwmark and dscp"));
  CHECK(has_error(read_text(edited("fwmark = 0x10", "")), "give exactly one of fwmark and dscp"));
  CHECK(has_error(read_text(edited("fwmark = 0x10", "fwmark = 0x100\nfwmask = 0xff")),
                  "action.linux.fwmark = 0x100: has bits outside action.linux.fwmask"));
  CHECK(has_error(read_text(edited("table = 200", "table = 254")), "is reserved by the kernel"));
  CHECK(has_error(read_text(edited("table = 200", "table = 0")), "action.linux.table = 0: out of range"));
  CHECK(has_error(read_text(edited("priority = 100", "priority = 32766")),
                  "action.linux.priority = 32766: out of range; accepted 1 to 32765"));
  CHECK(has_error(read_text(edited("fwmark = 0x10", "dscp = 46")), "Linux matches IPv4 rules only on DSCP 1 to 7"));

  Read dscp_v6 = read_text(edited("fwmark = 0x10", "dscp = 46\nfamilies = \"ipv6\""));
  CHECK(dscp_v6.errors.empty());
  CHECK_FALSE(dscp_v6.config.linux_rule.use_fwmark);
  CHECK(dscp_v6.config.linux_rule.dscp == 46);
  CHECK(dscp_v6.config.linux_rule.families == RuleFamilies::ipv6);
}

TEST_CASE("steering config checks thresholds in order") {
  Read read = read_text(edited("[steering]\n", "[thresholds]\nyellow_delay_ms = 40\nred_delay_ms = 30\n[steering]\n"));
  CHECK(has_error(read, "thresholds.red_delay_ms = 30: must be greater than thresholds.yellow_delay_ms"));
}

TEST_CASE("steering config checks staleness against the interval") {
  Read read = read_text(edited("[steering]\n", "[steering]\ninterval_ms = 1000\nstale_after_ms = 1500\n"));
  CHECK(has_error(read, "steering.stale_after_ms = 1500: must be at least twice steering.interval_ms"));
}

TEST_CASE("steering config reads the RouterOS action") {
  Read read = read_text(R"([site]
name = "office"
primary = "cable"
alternate = "dsl"

[action]
kind = "routeros"

[action.routeros]
comment = "wanctl-steer"
url = "https://192.0.2.1"
user = "wanctl"
password_env = "ROUTER_PASSWORD"
)");
  CHECK(read.errors.empty());
  CHECK(read.config.action == SteeringActionKind::routeros_mangle);
  CHECK(read.config.mangle.comment == "wanctl-steer");
  CHECK(read.config.mangle.router.url == "https://192.0.2.1");
  CHECK(read.config.mangle.router.password_env == "ROUTER_PASSWORD");
  CHECK(read.config.mangle.router.verify_tls);
  CHECK(read.config.history_file == "/var/lib/wanctl/office.steering.json");
}

TEST_CASE("steering config checks the RouterOS action") {
  Read read = read_text(R"([site]
name = "office"
primary = "cable"
alternate = "dsl"
[action]
kind = "routeros"
[action.routeros]
comment = ""
url = "192.0.2.1"
user = "wanctl"
password = "secret"
)");
  CHECK(has_error(read, "action.routeros.comment = \"\": missing or empty"));
  CHECK(has_error(read, "action.routeros.url = \"192.0.2.1\": expected a URL starting with https://"));
  CHECK(has_error(read, "give exactly one of password_file and password_env"));
  CHECK(has_error(read, "action.routeros.password = \"secret\": unknown key"));
}

TEST_CASE("steering config rejects the other action's table") {
  Read read = read_text(std::string(kLinuxFile) + "[action.routeros]\ncomment = \"x\"\n");
  CHECK(has_error(read, "is \"linux\", so the [action.routeros] table is unused"));
}

TEST_CASE("steering config rejects unknown keys") {
  Read read = read_text(edited("[steering]\n", "[steering]\nactivaton_s = 3\n"));
  CHECK(has_error(read, "steering.activaton_s = 3: unknown key"));
}

TEST_CASE("steering config load throws every error") {
  try {
    load_steering_config("/nonexistent/steering.toml");
    FAIL("no error for a missing file");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()).find("/nonexistent/steering.toml") == 0);
  }
}

TEST_CASE("steering config accepts the logging table") {
  Read read = read_text(std::string(kLinuxFile) + "[logging]\nlevel = \"debug\"\n");
  CHECK(read.errors.empty());
  CHECK(read.config.logging.level == spdlog::level::debug);
}

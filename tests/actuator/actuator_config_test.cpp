// The [actuator] table: defaults, per-backend keys and every rejected value.
#include <doctest/doctest.h>

#include <string>

#include "actuator_config.hpp"
#include "config_reader.hpp"

using namespace wanctl;

namespace {

struct Parsed {
  ActuatorConfig config;
  std::vector<std::string> errors;
};

Parsed parse(const std::string& text) {
  ConfigReader reader = ConfigReader::parse(text, "wan1.toml");
  Parsed parsed;
  read_actuator_config(reader, parsed.config);
  reader.report_unknown_keys();
  parsed.errors = reader.errors();
  return parsed;
}

bool has_error(const Parsed& parsed, const std::string& part) {
  for (const std::string& error : parsed.errors) {
    if (error.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

const char* kRouterOs = R"(
[actuator]
backend = "routeros"
[actuator.download]
queue = "wan1-down"
[actuator.upload]
queue = "wan1-up"
[actuator.routeros]
url = "https://192.0.2.1"
user = "wanctl"
password_env = "WANCTL_ROUTER_PASSWORD"
)";

}  // namespace

TEST_CASE("actuator config cake defaults") {
  Parsed parsed = parse("[actuator]\n[actuator.download]\ninterface = \"ifb0\"\n[actuator.upload]\ninterface = \"eth0\"\n");
  REQUIRE(parsed.errors.empty());
  CHECK(parsed.config.configured);
  CHECK(parsed.config.backend == ActuatorBackend::cake);
  REQUIRE(parsed.config.directions[0]);
  CHECK(parsed.config.directions[0]->interface == "ifb0");
  CHECK(parsed.config.directions[1]->interface == "eth0");
  CHECK(parsed.config.telemetry_interval_ms == 100);
  CHECK(parsed.config.min_write_interval_ms == 0);
  CHECK(parsed.config.dead_band_percent == doctest::Approx(1.0));
}

TEST_CASE("actuator config absent table leaves it unconfigured") {
  Parsed parsed = parse("[instance]\nname = \"wan1\"\n");
  CHECK_FALSE(parsed.config.configured);
}

TEST_CASE("actuator config routeros defaults are slower") {
  Parsed parsed = parse(kRouterOs);
  REQUIRE(parsed.errors.empty());
  CHECK(parsed.config.backend == ActuatorBackend::routeros);
  CHECK(parsed.config.telemetry_interval_ms == 2000);
  CHECK(parsed.config.min_write_interval_ms == 1000);
  CHECK(parsed.config.routeros.verify_tls);
  CHECK(parsed.config.directions[0]->queue_kind == RouterQueueKind::tree);
}

TEST_CASE("actuator config needs a direction") {
  Parsed parsed = parse("[actuator]\nbackend = \"cake\"\n");
  CHECK(has_error(parsed, "add at least one direction"));
}

TEST_CASE("actuator config rejects bad interface names") {
  Parsed parsed = parse("[actuator]\n[actuator.download]\ninterface = \"a-very-long-interface-name\"\n");
  CHECK(has_error(parsed, "wan1.toml:3:13: actuator.download.interface = \"a-very-long-interface-name\": not a valid"));
  CHECK(has_error(parse("[actuator]\n[actuator.upload]\ninterface = \"eth0/1\"\n"), "not a valid interface name"));
  CHECK(has_error(parse("[actuator]\n[actuator.upload]\nqueue = \"x\"\n"), "actuator.upload.interface: missing"));
}

TEST_CASE("actuator config htb needs a class id") {
  CHECK(has_error(parse("[actuator]\nbackend = \"htb\"\n[actuator.upload]\ninterface = \"eth0\"\n"),
                  "actuator.upload.class: missing"));
  for (const char* bad : {"10", "1:", ":10", "0:10", "1:0", "1:zz", "12345:1"}) {
    std::string text = std::string("[actuator]\nbackend = \"htb\"\n[actuator.upload]\ninterface = \"eth0\"\nclass = \"") +
                       bad + "\"\n";
    CHECK_MESSAGE(has_error(parse(text), "not an HTB class id"), bad);
  }
  CHECK(parse("[actuator]\nbackend = \"htb\"\n[actuator.upload]\ninterface = \"eth0\"\nclass = \"1:a\"\n").errors.empty());
}

TEST_CASE("actuator config rejects keys of another backend") {
  CHECK(has_error(parse("[actuator]\n[actuator.upload]\ninterface = \"eth0\"\nclass = \"1:10\"\n"),
                  "only used with backend = \"htb\""));
  CHECK(has_error(parse("[actuator]\n[actuator.upload]\ninterface = \"eth0\"\n[actuator.routeros]\nurl = \"x\"\n"),
                  "[actuator.routeros] table is unused"));
  std::string routeros = kRouterOs;
  CHECK(has_error(parse(routeros + "[actuator.download.x]\n"), "unknown key") == false);
  CHECK(has_error(parse(std::string(kRouterOs).replace(std::string(kRouterOs).find("queue = \"wan1-up\""), 17,
                                                       "interface = \"eth0\"")),
                  "only used with backend = \"cake\" or \"htb\""));
}

TEST_CASE("actuator config routeros needs exactly one password source") {
  std::string both = std::string(kRouterOs) + "password_file = \"/etc/wanctl/router.pass\"\n";
  CHECK(has_error(parse(both), "give exactly one of password_file and password_env"));

  std::string none = kRouterOs;
  none.erase(none.find("password_env"), none.find('\n', none.find("password_env")) - none.find("password_env") + 1);
  CHECK(has_error(parse(none), "give exactly one of password_file and password_env"));
}

TEST_CASE("actuator config routeros url and tls checks") {
  std::string text = kRouterOs;
  CHECK(has_error(parse(std::string(text).replace(text.find("https://192.0.2.1"), 17, "ftp://192.0.2.1")),
                  "expected a URL starting with https://"));
  CHECK(has_error(parse(std::string(text).replace(text.find("https://192.0.2.1"), 17, "https://192.0.2.1/rest")),
                  "without /rest"));
  CHECK(has_error(parse(text + "fingerprint_sha256 = \"abcd\"\n"), "64 hexadecimal digits"));
  std::string fingerprint(64, 'a');
  CHECK(parse(text + "fingerprint_sha256 = \"" + fingerprint + "\"\n").errors.empty());
  CHECK(has_error(parse(text + "fingerprint_sha256 = \"" + fingerprint + "\"\nca_file = \"/x\"\n"), "not both"));
  CHECK(has_error(parse(text + "verify_tls = false\nca_file = \"/x\"\n"), "false contradicts"));
  Parsed off = parse(text + "verify_tls = false\n");
  REQUIRE(off.errors.empty());
  CHECK_FALSE(off.config.routeros.verify_tls);
}

TEST_CASE("actuator config stats_queue only for a queue type") {
  std::string text = std::string(kRouterOs) + "[actuator.download.stats]\n";
  std::string with_stats = kRouterOs;
  with_stats.replace(with_stats.find("queue = \"wan1-down\""), 19, "queue = \"wan1-down\"\nstats_queue = \"q\"");
  CHECK(has_error(parse(with_stats), "only used with queue_kind = \"type\""));
  with_stats.replace(with_stats.find("stats_queue"), 0, "queue_kind = \"type\"\n");
  CHECK(parse(with_stats).errors.empty());
}

TEST_CASE("actuator config one queue per direction unless simple") {
  std::string same = kRouterOs;
  same.replace(same.find("wan1-up"), 7, "wan1-down");
  CHECK(has_error(parse(same), "drives the same shaper"));
  std::string simple = same;
  simple.replace(simple.find("queue = \"wan1-down\""), 19, "queue = \"wan1-down\"\nqueue_kind = \"simple\"");
  simple.replace(simple.rfind("queue = \"wan1-down\""), 19, "queue = \"wan1-down\"\nqueue_kind = \"simple\"");
  CHECK(parse(simple).errors.empty());
}

TEST_CASE("actuator config ranges and relations") {
  CHECK(has_error(parse("[actuator]\ndead_band_percent = 60\n[actuator.upload]\ninterface = \"eth0\"\n"),
                  "actuator.dead_band_percent = 60: out of range; accepted 0 to 50"));
  CHECK(has_error(parse("[actuator]\ntelemetry_interval_ms = 5\n[actuator.upload]\ninterface = \"eth0\"\n"),
                  "out of range"));
  CHECK(has_error(parse("[actuator]\nretry_initial_ms = 500\nretry_max_ms = 100\n[actuator.upload]\ninterface = \"eth0\"\n"),
                  "must be at least actuator.retry_initial_ms (500)"));
  CHECK(has_error(parse("[actuator]\nbackend = \"tc\"\n[actuator.upload]\ninterface = \"eth0\"\n"),
                  "accepted \"cake\", \"htb\", \"routeros\""));
}

// The [prober] table: defaults, and errors that name the key and the value.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <string>

#include "prober_config.hpp"
#include "wan_config.hpp"

using namespace wanctl;

namespace {

struct Loaded {
  ProberConfig config;
  std::vector<std::string> errors;
};

Loaded load_prober(const std::string& prober_table) {
  auto reader = ConfigReader::parse("[instance]\nname = \"wan1\"\n[prober]\n" + prober_table, "wan1.toml");
  Loaded loaded;
  read_prober_config(reader, loaded.config);
  loaded.errors = reader.errors();
  return loaded;
}

// The one error recorded, or a note that there was not exactly one.
std::string only_error(const Loaded& loaded) {
  if (loaded.errors.size() != 1) {
    std::string all = std::to_string(loaded.errors.size()) + " errors:";
    for (const std::string& error : loaded.errors) {
      all += "\n" + error;
    }
    return all;
  }
  return loaded.errors.front();
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("prober config defaults") {
  Loaded loaded = load_prober("reflectors = [\"192.0.2.1\", \"192.0.2.2\", \"2001:db8::1\", \"198.51.100.1\"]\n");
  CHECK(loaded.errors.empty());
  const ProberConfig& config = loaded.config;
  REQUIRE(config.reflectors.size() == 4);
  CHECK(config.reflectors[2].family == AF_INET6);
  CHECK(config.active_reflectors == 3);
  CHECK(config.probe_rate_hz == 20.0);
  CHECK(config.method == ProbeMethod::timestamp);
  CHECK(config.timeout_ms == 2000);
  CHECK(config.socket_mode == SocketMode::automatic);
  CHECK(config.interface.empty());
  CHECK_FALSE(config.source_address.has_value());
  CHECK(config.fwmark == 0);
  CHECK(config.replacement_timeouts == 3);
  CHECK(config.replacement_window_probes == 60);
}

TEST_CASE("prober config with fewer reflectors than the default active count") {
  Loaded loaded = load_prober("reflectors = [\"192.0.2.1\", \"192.0.2.2\"]\n");
  CHECK(loaded.errors.empty());
  CHECK(loaded.config.active_reflectors == 2);
}

TEST_CASE("prober config reads every key") {
  Loaded loaded = load_prober(
      "reflectors = [\"192.0.2.1\", \"192.0.2.2\"]\nactive_reflectors = 1\nprobe_rate_hz = 12.5\n"
      "method = \"echo\"\ntimeout_ms = 800\ninterface = \"wan0\"\nsource_address = \"192.0.2.100\"\n"
      "fwmark = 4096\nsocket = \"raw\"\nuser = \"nobody\"\nreplacement_timeouts = 5\n"
      "replacement_window_probes = 100\ntimestamp_fallback_probes = 4\n");
  CHECK(loaded.errors.empty());
  const ProberConfig& config = loaded.config;
  CHECK(config.active_reflectors == 1);
  CHECK(config.probe_rate_hz == 12.5);
  CHECK(config.method == ProbeMethod::echo);
  CHECK(config.timeout_ms == 800);
  CHECK(config.interface == "wan0");
  REQUIRE(config.source_address.has_value());
  CHECK(to_string(*config.source_address) == "192.0.2.100");
  CHECK(config.fwmark == 4096);
  CHECK(config.socket_mode == SocketMode::raw);
  CHECK(config.user == "nobody");
  CHECK(config.replacement_timeouts == 5);
  CHECK(config.replacement_window_probes == 100);
  CHECK(config.timestamp_fallback_probes == 4);
}

TEST_CASE("prober config without reflectors") {
  auto reader = ConfigReader::parse("[instance]\nname = \"wan1\"\n", "wan1.toml");
  ProberConfig config;
  read_prober_config(reader, config);
  REQUIRE(!reader.errors().empty());
  CHECK(contains(reader.errors().front(), "wan1.toml: prober.reflectors: missing"));
}

TEST_CASE("prober config with an empty reflector list") {
  std::string error = only_error(load_prober("reflectors = []\n"));
  CHECK(contains(error, "wan1.toml:4:14: prober.reflectors = []: the list is empty"));
}

TEST_CASE("prober config with a host name") {
  std::string error = only_error(load_prober("reflectors = [\"192.0.2.1\", \"dns.example\"]\n"));
  CHECK(contains(error, "wan1.toml:4:14: prober.reflectors = [ '192.0.2.1', 'dns.example' ]"));
  CHECK(contains(error, "element 2 \"dns.example\" is not a numeric IPv4 or IPv6 address"));
}

TEST_CASE("prober config with invalid addresses") {
  const char* cases[][2] = {
      {"192.0.2.300", "is not a numeric IPv4 or IPv6 address"},
      {"0.0.0.0", "is in 0.0.0.0/8"},
      {"224.0.0.1", "is a multicast address"},
      {"255.255.255.255", "is the broadcast address"},
      {"::", "is the unspecified address"},
      {"ff02::1", "is a multicast address"},
      {"::ffff:192.0.2.1", "is an IPv4-mapped address"},
      {"", "is not a numeric"},
  };
  for (const auto& [text, problem] : cases) {
    CAPTURE(text);
    std::string error = only_error(load_prober(std::string("reflectors = [\"") + text + "\"]\n"));
    CHECK(contains(error, "prober.reflectors"));
    CHECK(contains(error, std::string("\"") + text + "\" " + problem));
  }
}

TEST_CASE("prober config with a duplicate reflector") {
  std::string error = only_error(load_prober("reflectors = [\"192.0.2.1\", \"192.0.2.2\", \"192.0.2.1\"]\n"));
  CHECK(contains(error, "element 3 \"192.0.2.1\" is listed twice; remove the duplicate"));

  error = only_error(load_prober("reflectors = [\"2001:db8::1\", \"2001:DB8:0::1\"]\n"));
  CHECK(contains(error, "element 2 \"2001:DB8:0::1\" is listed twice"));
}

TEST_CASE("prober config with too many reflectors") {
  std::string list;
  for (int i = 1; i <= 17; ++i) {
    list += (i > 1 ? ", " : "") + std::string("\"192.0.2.") + std::to_string(i) + "\"";
  }
  std::string error = only_error(load_prober("reflectors = [" + list + "]\n"));
  CHECK(contains(error, "lists 17 reflectors; at most 16"));
}

TEST_CASE("prober config with a zero probe rate") {
  std::string error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\nprobe_rate_hz = 0\n"));
  CHECK(contains(error, "wan1.toml:5:17: prober.probe_rate_hz = 0: must be greater than 0"));

  error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\nprobe_rate_hz = -5\n"));
  CHECK(contains(error, "prober.probe_rate_hz = -5: out of range"));
}

TEST_CASE("prober config with too many probes in flight") {
  std::string error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\nprobe_rate_hz = 10000\ntimeout_ms = 5000\n"));
  CHECK(contains(error, "prober.timeout_ms = 5000"));
  CHECK(contains(error, "50000 probes would be in flight"));
}

TEST_CASE("prober config with more active reflectors than listed") {
  std::string error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\nactive_reflectors = 2\n"));
  CHECK(contains(error, "prober.active_reflectors = 2: exceeds the 1 addresses"));
}

TEST_CASE("prober config with an invalid interface name") {
  std::string error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\ninterface = \"a-very-long-interface\"\n"));
  CHECK(contains(error, "prober.interface = \"a-very-long-interface\": is 21 characters long"));

  error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\ninterface = \"eth 0\"\n"));
  CHECK(contains(error, "prober.interface = \"eth 0\": contains a character"));

  error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\ninterface = \"\"\n"));
  CHECK(contains(error, "prober.interface = \"\": is empty"));
}

TEST_CASE("prober config with a source address of another family") {
  std::string error =
      only_error(load_prober("reflectors = [\"192.0.2.1\", \"2001:db8::1\"]\nsource_address = \"192.0.2.100\"\n"));
  CHECK(contains(error, "prober.source_address = \"192.0.2.100\": is an IPv4 address but reflector 2001:db8::1"));
}

TEST_CASE("prober config with unknown method and socket") {
  Loaded loaded = load_prober("reflectors = [\"192.0.2.1\"]\nmethod = \"udp\"\nsocket = \"dgram\"\n");
  REQUIRE(loaded.errors.size() == 2);
  CHECK(contains(loaded.errors[0], "prober.method = \"udp\": unknown value; accepted \"timestamp\", \"echo\""));
  CHECK(contains(loaded.errors[1], "prober.socket = \"dgram\": unknown value"));
}

TEST_CASE("prober config with replacement and fallback out of order") {
  std::string error =
      only_error(load_prober("reflectors = [\"192.0.2.1\"]\nreplacement_timeouts = 70\n"));
  CHECK(contains(error, "prober.replacement_timeouts = 70: exceeds prober.replacement_window_probes = 60"));

  error = only_error(load_prober("reflectors = [\"192.0.2.1\"]\ntimestamp_fallback_probes = 5\n"));
  CHECK(contains(error, "prober.timestamp_fallback_probes = 5: exceeds prober.replacement_timeouts = 3"));
}

TEST_CASE("prober config through the WAN file") {
  auto reader = ConfigReader::parse(
      "[instance]\nname = \"wan1\"\n[prober]\nreflectors = [\"192.0.2.1\"]\nprobe_rate = 5\n", "wan1.toml");
  WanConfig config = read_wan_config(reader);
  CHECK(config.prober.reflectors.size() == 1);
  bool unknown_reported = false;
  for (const std::string& error : reader.errors()) {
    unknown_reported = unknown_reported || contains(error, "prober.probe_rate = 5: unknown key");
  }
  CHECK(unknown_reported);
}

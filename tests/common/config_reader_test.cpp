// Config errors name the file, line, key, value and what is accepted.
#include <doctest/doctest.h>

#include "config_reader.hpp"
#include "wan_config.hpp"

using namespace wanctl;

namespace {

std::string first_error(ConfigReader& reader) {
  return reader.errors().empty() ? "" : reader.errors().front();
}

}  // namespace

TEST_CASE("config number out of range names line, key, value and range") {
  auto reader = ConfigReader::parse("[estimator]\nrise_tau_s = -3\n", "wan1.toml");
  CHECK(reader.number("estimator.rise_tau_s", 30, 0.1, 3600) == 30);
  CHECK(first_error(reader) ==
        "wan1.toml:2:14: estimator.rise_tau_s = -3: out of range; accepted 0.1 to 3600");
}

TEST_CASE("config wrong type is reported") {
  auto reader = ConfigReader::parse("[prober]\nrate_hz = \"fast\"\n", "wan1.toml");
  reader.number("prober.rate_hz", 20, 0.1, 1000);
  CHECK(first_error(reader) ==
        "wan1.toml:2:11: prober.rate_hz = \"fast\": expected a number from 0.1 to 1000");
}

TEST_CASE("config unknown key is reported") {
  auto reader = ConfigReader::parse("[instance]\nname = \"wan1\"\nnmae = \"x\"\n", "wan1.toml");
  reader.string("instance.name", "");
  reader.report_unknown_keys();
  REQUIRE(reader.errors().size() == 1);
  CHECK(first_error(reader).find("wan1.toml:3:8: instance.nmae = \"x\": unknown key") == 0);
}

TEST_CASE("config duplicated key is malformed TOML with a position") {
  try {
    ConfigReader::parse("[instance]\nname = \"a\"\nname = \"b\"\n", "wan1.toml");
    FAIL("no error for a duplicated key");
  } catch (const ConfigError& error) {
    std::string message = error.what();
    CHECK(message.find("wan1.toml:3:") == 0);
    CHECK(message.find("invalid TOML") != std::string::npos);
  }
}

TEST_CASE("config choice lists what is accepted") {
  auto reader = ConfigReader::parse("mode = \"fastest\"\n", "x.toml");
  reader.choice("mode", "echo", {"echo", "timestamp"});
  CHECK(first_error(reader) == "x.toml:1:8: mode = \"fastest\": unknown value; accepted \"echo\", \"timestamp\"");
}

TEST_CASE("config file that does not exist is reported") {
  try {
    ConfigReader::load("/nonexistent/wan9.toml");
    FAIL("no error for a missing file");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()) == "/nonexistent/wan9.toml: cannot read the file: not found; check the path");
  }
}

TEST_CASE("config path that is a directory is reported as one") {
  try {
    ConfigReader::load("/tmp");
    FAIL("no error for a directory");
  } catch (const ConfigError& error) {
    CHECK(std::string(error.what()) == "/tmp: cannot read the file: is a directory; give the path of a TOML file");
  }
}

TEST_CASE("wan config requires a valid instance name") {
  auto reader = ConfigReader::parse("[instance]\nname = \"wan 1\"\n", "wan1.toml");
  read_wan_config(reader);
  CHECK(first_error(reader).find("instance.name = \"wan 1\": instance name 'wan 1' contains an invalid character") !=
        std::string::npos);

  auto empty = ConfigReader::parse("", "empty.toml");
  read_wan_config(empty);
  CHECK(first_error(empty).find("empty.toml: instance.name: missing") == 0);
}

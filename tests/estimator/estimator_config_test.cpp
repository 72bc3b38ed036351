// The [estimator] table: defaults, ranges, relations and error positions.
#include <doctest/doctest.h>

#include <algorithm>

#include "config_reader.hpp"
#include "estimator_config.hpp"
#include "replay_helpers.hpp"
#include "wan_config.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

std::vector<std::string> estimator_errors(const std::string& text) {
  ConfigReader reader = ConfigReader::parse(text, "wan1.toml");
  EstimatorConfig config;
  read_estimator_config(reader, config);
  return reader.errors();
}

bool has_error(const std::vector<std::string>& errors, const std::string& expected) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](const std::string& error) { return error.find(expected) != std::string::npos; });
}

}  // namespace

TEST_CASE("estimator config defaults and derived values") {
  EstimatorConfig config = make_config();
  CHECK(config.configured);
  const DirectionRateConfig& down = config.directions[0];
  CHECK(down.min_rate_mbps == 10.0);
  CHECK(down.base_rate_mbps == 100.0);
  CHECK(down.max_rate_mbps == 200.0);
  CHECK(down.red_floor_mbps == 10.0);
  CHECK(down.green_floor_mbps == 10.0);
  CHECK(down.safe_rate_mbps == 100.0);
  CHECK_FALSE(down.soft_red_clamp);
  CHECK_FALSE(down.monitor_only);
  CHECK(config.yellow_delta_ms == 15.0);
  CHECK(config.soft_red_delta_ms == 45.0);
  CHECK(config.red_delta_ms == 80.0);
  CHECK(config.heartbeat_s == 1.0);
  CHECK(mbps_to_bps(down.base_rate_mbps) == 100'000'000);
}

TEST_CASE("estimator table is optional for other stages") {
  ConfigReader reader = ConfigReader::parse("[instance]\nname = \"wan1\"\n", "wan1.toml");
  EstimatorConfig config;
  read_estimator_config(reader, config);
  CHECK(reader.errors().empty());
  CHECK_FALSE(config.configured);
}

TEST_CASE("estimator state file defaults to a file per instance") {
  std::string text = wan_config_text({});
  text.replace(text.find("state_file = \"\"\n"), 16, "");
  ConfigReader reader = ConfigReader::parse(text, "wan1.toml");
  EstimatorConfig config;
  read_estimator_config(reader, config);
  CHECK(reader.errors().empty());
  CHECK(config.state_file == "/var/lib/wanctl/wan1.estimator.state");

  std::vector<std::string> errors = estimator_errors(wan_config_text({}, "wan1", 3, "state/wan1"));
  CHECK(has_error(errors, "estimator.state_file = \"state/wan1\": must be an absolute path"));
}

TEST_CASE("estimator rates must be ordered min <= base <= max") {
  ConfigText text;
  text.download = "";
  std::string file = wan_config_text(text);
  file.replace(file.find("base_rate_mbps = 100"), 20, "base_rate_mbps = 300");
  std::vector<std::string> errors = estimator_errors(file);
  REQUIRE_FALSE(errors.empty());
  CHECK(has_error(errors, "wan1.toml:13:17: estimator.download.max_rate_mbps = 200: must be at least "
                          "estimator.download.base_rate_mbps = 300"));
}

TEST_CASE("estimator rate keys are required in each direction") {
  std::string file = wan_config_text({});
  file.replace(file.find("min_rate_mbps = 2\n"), 18, "");
  std::vector<std::string> errors = estimator_errors(file);
  CHECK(has_error(errors, "estimator.upload.min_rate_mbps: missing; give the rate in Mbit/s"));

  std::vector<std::string> no_direction =
      estimator_errors("[instance]\nname = \"wan1\"\n[estimator]\n[estimator.download]\nmin_rate_mbps = 1\n"
                       "base_rate_mbps = 2\nmax_rate_mbps = 3\n");
  CHECK(has_error(no_direction, "estimator.upload: missing"));
}

TEST_CASE("estimator floors must lie between min and max in state order") {
  ConfigText text;
  text.download = "red_floor_mbps = 30\nsoft_red_floor_mbps = 20\n";
  text.upload = "green_floor_mbps = 50\n";
  std::vector<std::string> errors = estimator_errors(wan_config_text(text));
  CHECK(has_error(errors, "estimator.download.soft_red_floor_mbps = 20: must be at least "
                          "estimator.download.red_floor_mbps = 30"));
  CHECK(has_error(errors, "estimator.upload.max_rate_mbps = 40: must be at least "
                          "estimator.upload.green_floor_mbps = 50"));
}

TEST_CASE("estimator thresholds must increase") {
  ConfigText text;
  text.estimator = "yellow_delta_ms = 20\nsoft_red_delta_ms = 20\nred_delta_ms = 10\n";
  std::vector<std::string> errors = estimator_errors(wan_config_text(text));
  CHECK(has_error(errors, "estimator.soft_red_delta_ms = 20: must be greater than estimator.yellow_delta_ms = 20"));
  CHECK(has_error(errors, "estimator.red_delta_ms = 10: must be greater than estimator.soft_red_delta_ms = 20"));
}

TEST_CASE("estimator durations are range checked with their position") {
  ConfigText text;
  text.estimator = "baseline_rise_s = 0\nheartbeat_s = 5\nstall_after_s = 40\n";
  std::vector<std::string> errors = estimator_errors(wan_config_text(text));
  CHECK(has_error(errors, "wan1.toml:9:19: estimator.baseline_rise_s = 0: out of range; accepted 0.001 to 86400"));
  CHECK(has_error(errors, "wan1.toml:10:15: estimator.heartbeat_s = 5: out of range; accepted 0.01 to 1"));
  CHECK(has_error(errors, "estimator.outage_after_s: must be greater than estimator.stall_after_s = 40"));
}

TEST_CASE("estimator load shares must be ordered") {
  ConfigText text;
  text.estimator = "idle_load_share = 0.6\nlow_load_share = 0.5\nincrease_load_share = 1.5\n";
  std::vector<std::string> errors = estimator_errors(wan_config_text(text));
  CHECK(has_error(errors, "estimator.increase_load_share = 1.5: out of range; accepted 0 to 1"));
  CHECK(has_error(errors, "estimator.low_load_share = 0.5: must be at least estimator.idle_load_share = 0.6"));
}

TEST_CASE("estimator unknown key is reported by the whole-file reader") {
  ConfigText text;
  text.estimator = "rise_tau = 30\n";
  ConfigReader reader = ConfigReader::parse(wan_config_text(text), "wan1.toml");
  read_wan_config(reader);
  CHECK(has_error(reader.errors(), "estimator.rise_tau = 30: unknown key"));
}

#include "estimator_config.hpp"

#include <sstream>

#include "object_name.hpp"

namespace wanctl {
namespace {

// Fastest and slowest shaper rates accepted, Mbit/s.
constexpr double kMinRateMbps = 0.064;
constexpr double kMaxRateMbps = 400000.0;

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

std::string key_in(const std::string& table, const char* name) { return table + "." + name; }

// Reports `later` unless earlier < later (or <= when equal_allowed).
void require_order(ConfigReader& reader, const std::string& earlier_key, double earlier,
                   const std::string& later_key, double later, bool equal_allowed) {
  bool ordered = equal_allowed ? earlier <= later : earlier < later;
  if (!ordered) {
    reader.relation_error(later_key, std::string("must be ") + (equal_allowed ? "at least " : "greater than ") +
                                         earlier_key + " = " + format_number(earlier));
  }
}

void read_direction(ConfigReader& reader, const std::string& table, DirectionRateConfig& direction) {
  if (!reader.has(table)) {
    reader.error(table, "missing; give min_rate_mbps, base_rate_mbps and max_rate_mbps under [" + table + "]");
    return;
  }

  const std::string min_key = key_in(table, "min_rate_mbps");
  const std::string base_key = key_in(table, "base_rate_mbps");
  const std::string max_key = key_in(table, "max_rate_mbps");
  for (const std::string& key : {min_key, base_key, max_key}) {
    if (!reader.has(key)) {
      reader.error(key, "missing; give the rate in Mbit/s, e.g. " + key.substr(table.size() + 1) + " = 50");
    }
  }
  direction.min_rate_mbps = reader.number(min_key, 1.0, kMinRateMbps, kMaxRateMbps);
  direction.base_rate_mbps = reader.number(base_key, direction.min_rate_mbps, kMinRateMbps, kMaxRateMbps);
  direction.max_rate_mbps = reader.number(max_key, direction.base_rate_mbps, kMinRateMbps, kMaxRateMbps);
  require_order(reader, min_key, direction.min_rate_mbps, base_key, direction.base_rate_mbps, true);
  require_order(reader, base_key, direction.base_rate_mbps, max_key, direction.max_rate_mbps, true);

  // Floors lie between min and max and do not rise as the state worsens.
  const std::string red_key = key_in(table, "red_floor_mbps");
  const std::string soft_red_key = key_in(table, "soft_red_floor_mbps");
  const std::string yellow_key = key_in(table, "yellow_floor_mbps");
  const std::string green_key = key_in(table, "green_floor_mbps");
  direction.red_floor_mbps = reader.number(red_key, direction.min_rate_mbps, kMinRateMbps, kMaxRateMbps);
  direction.soft_red_clamp = reader.has(soft_red_key);
  direction.soft_red_floor_mbps =
      reader.number(soft_red_key, direction.red_floor_mbps, kMinRateMbps, kMaxRateMbps);
  direction.yellow_floor_mbps =
      reader.number(yellow_key, direction.soft_red_floor_mbps, kMinRateMbps, kMaxRateMbps);
  direction.green_floor_mbps = reader.number(green_key, direction.yellow_floor_mbps, kMinRateMbps, kMaxRateMbps);
  require_order(reader, min_key, direction.min_rate_mbps, red_key, direction.red_floor_mbps, true);
  require_order(reader, red_key, direction.red_floor_mbps, soft_red_key, direction.soft_red_floor_mbps, true);
  require_order(reader, soft_red_key, direction.soft_red_floor_mbps, yellow_key, direction.yellow_floor_mbps, true);
  require_order(reader, yellow_key, direction.yellow_floor_mbps, green_key, direction.green_floor_mbps, true);
  require_order(reader, green_key, direction.green_floor_mbps, max_key, direction.max_rate_mbps, true);

  const std::string safe_key = key_in(table, "safe_rate_mbps");
  direction.safe_rate_mbps = reader.number(safe_key, direction.base_rate_mbps, kMinRateMbps, kMaxRateMbps);
  require_order(reader, min_key, direction.min_rate_mbps, safe_key, direction.safe_rate_mbps, true);
  require_order(reader, safe_key, direction.safe_rate_mbps, max_key, direction.max_rate_mbps, true);

  direction.monitor_only = reader.boolean(key_in(table, "monitor_only"), false);
}

void read_states(ConfigReader& reader, EstimatorConfig& config) {
  config.yellow_delta_ms = reader.number("estimator.yellow_delta_ms", config.yellow_delta_ms, 0.1, 60000.0);
  config.soft_red_delta_ms = reader.number("estimator.soft_red_delta_ms", config.soft_red_delta_ms, 0.1, 60000.0);
  config.red_delta_ms = reader.number("estimator.red_delta_ms", config.red_delta_ms, 0.1, 60000.0);
  require_order(reader, "estimator.yellow_delta_ms", config.yellow_delta_ms, "estimator.soft_red_delta_ms",
                config.soft_red_delta_ms, false);
  require_order(reader, "estimator.soft_red_delta_ms", config.soft_red_delta_ms, "estimator.red_delta_ms",
                config.red_delta_ms, false);

  config.delta_smoothing_s = reader.number("estimator.delta_smoothing_s", config.delta_smoothing_s, 0.001, 60.0);
  config.reflector_fresh_s = reader.number("estimator.reflector_fresh_s", config.reflector_fresh_s, 0.01, 60.0);
  config.soft_red_sustain_s = reader.number("estimator.soft_red_sustain_s", config.soft_red_sustain_s, 0.0, 600.0);
  config.green_hold_s = reader.number("estimator.green_hold_s", config.green_hold_s, 0.0, 600.0);
}

void read_bloat(ConfigReader& reader, EstimatorConfig& config) {
  config.bloat_delta_ms = reader.number("estimator.bloat_delta_ms", config.bloat_delta_ms, 0.1, 60000.0);
  config.bloat_window_s = reader.number("estimator.bloat_window_s", config.bloat_window_s, 0.01, 60.0);
  config.bloat_share = reader.number("estimator.bloat_share", config.bloat_share, 0.01, 1.0);
}

void read_baselines(ConfigReader& reader, EstimatorConfig& config) {
  config.baseline_start_s = reader.number("estimator.baseline_start_s", config.baseline_start_s, 0.0, 600.0);
  config.baseline_fall_s = reader.number("estimator.baseline_fall_s", config.baseline_fall_s, 0.001, 3600.0);
  config.baseline_rise_s = reader.number("estimator.baseline_rise_s", config.baseline_rise_s, 0.001, 86400.0);
  config.baseline_reset_after_s =
      reader.number("estimator.baseline_reset_after_s", config.baseline_reset_after_s, 1.0, 86400.0);
  config.clock_step_ms = reader.number("estimator.clock_step_ms", config.clock_step_ms, 5.0, 3600000.0);
  require_order(reader, "estimator.baseline_fall_s", config.baseline_fall_s, "estimator.baseline_rise_s",
                config.baseline_rise_s, false);
}

void read_load(ConfigReader& reader, EstimatorConfig& config) {
  config.increase_load_share =
      reader.number("estimator.increase_load_share", config.increase_load_share, 0.0, 1.0);
  config.low_load_share = reader.number("estimator.low_load_share", config.low_load_share, 0.0, 1.0);
  config.idle_load_share = reader.number("estimator.idle_load_share", config.idle_load_share, 0.0, 1.0);
  require_order(reader, "estimator.idle_load_share", config.idle_load_share, "estimator.low_load_share",
                config.low_load_share, true);
  require_order(reader, "estimator.low_load_share", config.low_load_share, "estimator.increase_load_share",
                config.increase_load_share, true);
  config.idle_after_s = reader.number("estimator.idle_after_s", config.idle_after_s, 0.0, 3600.0);
  config.telemetry_stale_s = reader.number("estimator.telemetry_stale_s", config.telemetry_stale_s, 0.05, 600.0);
}

void read_rate_law(ConfigReader& reader, EstimatorConfig& config) {
  config.cut_capacity_share = reader.number("estimator.cut_capacity_share", config.cut_capacity_share, 0.1, 1.0);
  config.queue_drain_s = reader.number("estimator.queue_drain_s", config.queue_drain_s, 0.05, 60.0);
  config.capacity_window_s = reader.number("estimator.capacity_window_s", config.capacity_window_s, 0.05, 60.0);
  config.refractory_s = reader.number("estimator.refractory_s", config.refractory_s, 0.0, 600.0);
  config.increase_doubling_s =
      reader.number("estimator.increase_doubling_s", config.increase_doubling_s, 0.1, 86400.0);
  config.idle_drift_s = reader.number("estimator.idle_drift_s", config.idle_drift_s, 0.1, 86400.0);
  config.stall_after_s = reader.number("estimator.stall_after_s", config.stall_after_s, 0.05, 600.0);
  config.outage_after_s = reader.number("estimator.outage_after_s", config.outage_after_s, 0.1, 86400.0);
  require_order(reader, "estimator.stall_after_s", config.stall_after_s, "estimator.outage_after_s",
                config.outage_after_s, false);
}

void read_outputs(ConfigReader& reader, EstimatorConfig& config) {
  config.heartbeat_s = reader.number("estimator.heartbeat_s", config.heartbeat_s, 0.01, 1.0);
  config.stale_sample_s = reader.number("estimator.stale_sample_s", config.stale_sample_s, 0.1, 3600.0);
  config.state_save_s = reader.number("estimator.state_save_s", config.state_save_s, 1.0, 86400.0);

  // Absent: a file per instance under /var/lib/wanctl. An empty string turns
  // the state file off.
  const std::string state_key = "estimator.state_file";
  if (reader.has(state_key)) {
    config.state_file = reader.string(state_key, "");
    if (!config.state_file.empty() && config.state_file.front() != '/') {
      reader.error(state_key, "must be an absolute path, or \"\" for no state file");
    }
  } else {
    std::string instance = reader.string("instance.name", "");
    config.state_file = instance_name_error(instance).empty()
                            ? "/var/lib/wanctl/" + instance + ".estimator.state"
                            : std::string();
  }
}

}  // namespace

void read_estimator_config(ConfigReader& reader, EstimatorConfig& config) {
  config = EstimatorConfig{};
  if (!reader.has("estimator")) {
    return;
  }
  config.configured = true;

  read_direction(reader, "estimator.download", config.directions[static_cast<int>(Direction::download)]);
  read_direction(reader, "estimator.upload", config.directions[static_cast<int>(Direction::upload)]);
  read_states(reader, config);
  read_bloat(reader, config);
  read_baselines(reader, config);
  read_load(reader, config);
  read_rate_law(reader, config);
  read_outputs(reader, config);
}

}  // namespace wanctl

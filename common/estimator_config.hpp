// The [estimator] table of a WAN file: the rate range of each direction, the
// delay thresholds of the congestion states, and every time constant of the
// baselines, the bufferbloat detector and the rate law.
//
// Smoothing constants and hysteresis are durations in seconds; the estimator
// derives per-sample weights from the time between samples, so the same file
// behaves the same at any probe rate. Rates are in Mbit/s, delays in ms.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "config_reader.hpp"
#include "records.hpp"

namespace wanctl {

// One direction's rate range, state floors and mode, from
// [estimator.download] or [estimator.upload].
struct DirectionRateConfig {
  double min_rate_mbps = 0.0;
  double base_rate_mbps = 0.0;  // where idle drift leads and where monitor-only stays
  double max_rate_mbps = 0.0;

  // Lowest rate each state may set; absent keys mean min_rate_mbps.
  double green_floor_mbps = 0.0;
  double yellow_floor_mbps = 0.0;
  double soft_red_floor_mbps = 0.0;
  double red_floor_mbps = 0.0;
  // SOFT_RED sets the rate to soft_red_floor_mbps only when that key is given;
  // otherwise SOFT_RED holds the current rate.
  bool soft_red_clamp = false;

  double safe_rate_mbps = 0.0;  // rate after a long outage; absent key means base
  bool monitor_only = false;    // publish decisions with apply = 0 and keep the rate at base
};

struct EstimatorConfig {
  bool configured = false;  // the file has an [estimator] table

  std::array<DirectionRateConfig, kDirectionCount> directions;  // indexed by Direction

  // States, from the smoothed delay above baseline.
  double yellow_delta_ms = 15.0;
  double soft_red_delta_ms = 45.0;
  double red_delta_ms = 80.0;
  double delta_smoothing_s = 0.4;    // time constant of the smoothed delta
  double reflector_fresh_s = 1.0;    // a reflector's latest delta counts this long
  double soft_red_sustain_s = 1.0;   // SOFT_RED is confirmed after this long
  double green_hold_s = 2.0;         // GREEN this long before any increase

  // Bufferbloat: at least bloat_share of the samples of the last
  // bloat_window_s lie more than bloat_delta_ms above their baseline.
  double bloat_delta_ms = 30.0;
  double bloat_window_s = 0.25;
  double bloat_share = 0.5;

  // Baselines per reflector and direction.
  double baseline_start_s = 1.0;         // a new baseline is the minimum over this first span
  double baseline_fall_s = 0.5;          // time constant toward lower samples
  double baseline_rise_s = 120.0;        // time constant toward higher samples
  double baseline_reset_after_s = 60.0;  // a series without samples this long starts anew
  double clock_step_ms = 100.0;          // one-way deltas the RTT cannot explain by more: a clock step

  // Load, from the achieved rate as a share of the current rate.
  double increase_load_share = 0.75;  // GREEN increases only above this
  double low_load_share = 0.5;        // below this a delay rise is not our own queue
  double idle_load_share = 0.1;       // below this for idle_after_s: IDLE
  double idle_after_s = 5.0;
  double telemetry_stale_s = 3.0;     // older readings leave the load unknown

  // Rate law.
  double cut_capacity_share = 0.9;  // a cut goes to this share of the capacity estimate, or below
  double queue_drain_s = 1.0;       // a cut goes deep enough to drain the queue in this time
  double capacity_window_s = 1.0;   // achieved rates this recent estimate the capacity
  double refractory_s = 1.0;        // no second cut sooner
  double increase_doubling_s = 15.0;  // GREEN under load doubles the rate this fast at full headroom
  double idle_drift_s = 60.0;       // time constant of the drift toward base
  double stall_after_s = 0.5;       // no reply from any reflector this long: STALL
  double outage_after_s = 30.0;     // STALL this long: go to the safe rate

  // Outputs and restarts.
  double heartbeat_s = 1.0;      // longest time between two decisions
  double stale_sample_s = 3.0;   // samples older than this when read are skipped
  std::string state_file;        // empty: no state file
  double state_save_s = 60.0;    // state file write interval
};

// Converts a configured rate to the bit/s the records carry.
inline std::uint64_t mbps_to_bps(double rate_mbps) { return static_cast<std::uint64_t>(rate_mbps * 1e6 + 0.5); }

// Reads and validates [estimator], recording every error in the reader. The
// table is optional in the file, but the estimator refuses to start without it.
void read_estimator_config(ConfigReader& reader, EstimatorConfig& config);

}  // namespace wanctl

// The shaper rate of one direction, moved by the congestion state, the
// bufferbloat verdict and the load.
//
// - Bufferbloat or RED under load cuts at once, to cut_capacity_share of the
//   capacity estimate (the highest achieved rate of the last
//   capacity_window_s) or deeper, so that a standing queue of delay d drains
//   within queue_drain_s: rate = capacity * (1 - d / queue_drain_s). No
//   further cut for refractory_s, unless the queue grows by another
//   bloat_delta_ms first. After such a cut a further one in the same episode
//   needs that growth: our own queue drains below the achieved rate, so a
//   delay that merely stays is not ours.
//   When our traffic stays below 0.9 of the rate, the link, not the shaper,
//   limits it, and the achieved rate alone is the capacity.
// - The same delay at low load (achieved below low_load_share of the rate) is
//   not our own queue, unless the episode began while we were loaded (the
//   link slowed under us) or the queue keeps growing between cuts. There the
//   rate goes to the rate before the episode times a factor from 0.99 at
//   bloat_delta_ms down to 0.75 at twice that, so it never collapses.
// - Without telemetry the rate is cut by the queue-drain factor alone.
// - SOFT_RED sets the SOFT_RED floor when one is configured, else holds;
//   YELLOW holds.
// - GREEN held for green_hold_s increases while loaded (achieved at least
//   increase_load_share of the rate), doubling in increase_doubling_s at full
//   delay headroom and four times slower with none, and four times faster
//   below base up to base; idle or lightly loaded,
//   the rate drifts toward base with time constant idle_drift_s.
// - STALL holds; after outage_after_s without replies the rate goes to the
//   safe rate.
// - Every rate is clamped to [floor of the state, maximum]; a monitor-only
//   direction stays at base.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "estimator_config.hpp"
#include "records.hpp"

namespace wanctl::estimator {

struct RateInputs {
  std::int64_t now_ns = 0;
  double dt_s = 0.0;                     // since the previous step
  CongestionState state = CongestionState::green;
  bool bloat = false;
  double queue_delta_us = 0.0;           // delay of the standing queue
  double smoothed_delta_us = 0.0;
  std::optional<double> achieved_bps;    // nothing while telemetry is missing or stale
  std::optional<double> capacity_bps;    // highest achieved rate within capacity_window_s
  bool green_held = false;
  double silence_s = 0.0;                // since the last reply from any reflector
};

// Action of one step, which the estimator reports as the reason of a change.
enum class RateAction : std::uint8_t {
  none,
  cut_capacity,   // loaded: below the capacity estimate
  cut_low_load,   // delay at low load: a bounded factor
  cut_delay_only, // no telemetry: by the queue-drain factor
  soft_red,       // set to the SOFT_RED floor
  increase,
  drift,          // toward base
  outage,         // long outage: safe rate
  clamp,          // raised to the state floor or limited to the maximum
  monitor,        // monitor-only: held at base
};

std::string_view to_string(RateAction action);

// A rate change of less than this share is applied internally but is no
// reason to publish a decision by itself.
inline constexpr double kPublishChangeShare = 0.005;

class RateLaw {
 public:
  // Starts at base.
  void reset(const DirectionRateConfig& direction);

  // Sets the rate an earlier run published, clamped to the configured range.
  // The earlier run may have cut just before it stopped, so the first step
  // starts a refractory period.
  void restore(double rate_bps, const DirectionRateConfig& direction);

  // Takes a changed configuration: the rate is clamped to the new range, or
  // set to base for a monitor-only direction; timers carry on.
  void retune(const DirectionRateConfig& direction);

  RateAction step(const RateInputs& inputs, const DirectionRateConfig& direction, const EstimatorConfig& config);

  double rate_bps() const { return rate_bps_; }
  bool in_bloat_episode() const { return in_episode_; }

 private:
  double cut_target_bps(const RateInputs& inputs, const EstimatorConfig& config, RateAction& action) const;
  // The queue delay grew by more than bloat_delta_ms since the episode's
  // start or its last cut.
  bool queue_grew_since_cut(const RateInputs& inputs, const EstimatorConfig& config) const;
  RateAction follow_state(const RateInputs& inputs, const DirectionRateConfig& direction,
                          const EstimatorConfig& config);

  double rate_bps_ = 0.0;
  bool in_episode_ = false;        // bufferbloat or RED since the last step without
  double episode_start_bps_ = 0.0; // rate when the episode began
  double last_cut_queue_delta_us_ = 0.0;  // queue delay at the episode's start or its last cut
  bool loaded_at_episode_start_ = false;  // the capacity window reached low_load_share of the rate
  bool cut_in_episode_ = false;
  bool capacity_cut_in_episode_ = false;  // a cut below the achieved rate or the capacity estimate
  std::int64_t refractory_until_ns_ = std::numeric_limits<std::int64_t>::min();
  bool refractory_at_first_step_ = false;  // set by restore()
};

// Lowest rate a state allows.
double state_floor_bps(CongestionState state, const DirectionRateConfig& direction);

}  // namespace wanctl::estimator

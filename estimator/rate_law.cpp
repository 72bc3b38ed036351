#include "rate_law.hpp"

#include <algorithm>
#include <cmath>

#include "time_weight.hpp"

namespace wanctl::estimator {
namespace {

// A single cut keeps at least this share of the capacity estimate; a queue
// longer than queue_drain_s then drains over a few refractory periods.
constexpr double kMinCutShare = 0.25;

// Cut factors at low load, at the bufferbloat threshold and at twice it.
constexpr double kLowLoadCutAtThreshold = 0.99;
constexpr double kLowLoadCutAtTwice = 0.75;

// Achieved at least this share of the shaper rate: the shaper is what limits
// our traffic, so the capacity window's rates are still the link's.
constexpr double kShaperLimitsShare = 0.9;

// Below base the doubling time is this share of increase_doubling_s: base
// is what the link usually carries, so a rate under it after a capacity
// drop has ended is more likely too low than too high.
constexpr double kBelowBaseDoublingShare = 0.25;

// Share of the full increase speed with no delay headroom left.
constexpr double kIncreaseSpeedWithoutHeadroom = 0.25;

double drain_share(double queue_delta_us, const EstimatorConfig& config) {
  double share = 1.0 - queue_delta_us / 1e6 / config.queue_drain_s;
  return std::clamp(share, kMinCutShare, config.cut_capacity_share);
}

double low_load_factor(double queue_delta_us, const EstimatorConfig& config) {
  double threshold_us = config.bloat_delta_ms * 1000.0;
  double excess = std::clamp((queue_delta_us - threshold_us) / threshold_us, 0.0, 1.0);
  return kLowLoadCutAtThreshold - (kLowLoadCutAtThreshold - kLowLoadCutAtTwice) * excess;
}

}  // namespace

std::string_view to_string(RateAction action) {
  switch (action) {
    case RateAction::none: return "hold";
    case RateAction::cut_capacity: return "cut below capacity";
    case RateAction::cut_low_load: return "cut at low load";
    case RateAction::cut_delay_only: return "cut without telemetry";
    case RateAction::soft_red: return "SOFT_RED floor";
    case RateAction::increase: return "increase under load";
    case RateAction::drift: return "drift toward base";
    case RateAction::outage: return "outage: safe rate";
    case RateAction::clamp: return "clamp to state floor or maximum";
    case RateAction::monitor: return "monitor-only: base";
  }
  return "unknown";
}

double state_floor_bps(CongestionState state, const DirectionRateConfig& direction) {
  switch (state) {
    case CongestionState::green:
    case CongestionState::idle: return mbps_to_bps(direction.green_floor_mbps);
    case CongestionState::yellow: return mbps_to_bps(direction.yellow_floor_mbps);
    case CongestionState::soft_red: return mbps_to_bps(direction.soft_red_floor_mbps);
    case CongestionState::red: return mbps_to_bps(direction.red_floor_mbps);
    case CongestionState::stall: return mbps_to_bps(direction.min_rate_mbps);
  }
  return mbps_to_bps(direction.min_rate_mbps);
}

void RateLaw::reset(const DirectionRateConfig& direction) {
  *this = RateLaw();
  rate_bps_ = static_cast<double>(mbps_to_bps(direction.base_rate_mbps));
}

void RateLaw::restore(double rate_bps, const DirectionRateConfig& direction) {
  reset(direction);
  if (direction.monitor_only) {
    return;
  }
  rate_bps_ = std::clamp(rate_bps, static_cast<double>(mbps_to_bps(direction.min_rate_mbps)),
                         static_cast<double>(mbps_to_bps(direction.max_rate_mbps)));
  refractory_at_first_step_ = true;
}

void RateLaw::retune(const DirectionRateConfig& direction) {
  if (direction.monitor_only) {
    reset(direction);
    return;
  }
  rate_bps_ = std::clamp(rate_bps_, static_cast<double>(mbps_to_bps(direction.min_rate_mbps)),
                         static_cast<double>(mbps_to_bps(direction.max_rate_mbps)));
}

bool RateLaw::queue_grew_since_cut(const RateInputs& inputs, const EstimatorConfig& config) const {
  return inputs.queue_delta_us - last_cut_queue_delta_us_ > config.bloat_delta_ms * 1000.0;
}

double RateLaw::cut_target_bps(const RateInputs& inputs, const EstimatorConfig& config, RateAction& action) const {
  if (!inputs.achieved_bps.has_value()) {
    // NOTE: without telemetry the estimator cannot tell our queue from a slower
    // path, so a delay that stays high is cut again every refractory period
    // and can take the rate down to the RED floor.
    action = RateAction::cut_delay_only;
    return rate_bps_ * drain_share(inputs.queue_delta_us, config);
  }
  // After a capacity drop the achieved rate sits at the new capacity, far
  // below the shaper rate, just as it does at low load. What tells them apart
  // is the queue: someone else's queue gives a steady delay, while ours keeps
  // growing between cuts because we still send faster than the link drains.
  // The first cut of an episode also counts the queue as ours when we were
  // loaded just before it: a link that slows under our load drops the
  // achieved rate at the moment the delay rises.
  bool own_queue = queue_grew_since_cut(inputs, config) || (!cut_in_episode_ && loaded_at_episode_start_);
  double achieved_bps = *inputs.achieved_bps;
  if (achieved_bps < config.low_load_share * rate_bps_ && !own_queue) {
    action = RateAction::cut_low_load;
    return episode_start_bps_ * low_load_factor(inputs.queue_delta_us, config);
  }

  // Our traffic below the shaper's rate while a queue exists means the link,
  // not the shaper, limits it. The link drains at the achieved rate, and the
  // capacity window's higher rates are from before it slowed. A second cut
  // in one episode shows the first went too shallow, so the window's rates
  // no longer count either.
  action = RateAction::cut_capacity;
  bool shaper_limits = achieved_bps >= kShaperLimitsShare * rate_bps_ && !cut_in_episode_;
  double capacity_bps = shaper_limits ? std::max(inputs.capacity_bps.value_or(0.0), achieved_bps) : achieved_bps;
  return capacity_bps * drain_share(inputs.queue_delta_us, config);
}

RateAction RateLaw::follow_state(const RateInputs& inputs, const DirectionRateConfig& direction,
                                 const EstimatorConfig& config) {
  switch (inputs.state) {
    case CongestionState::soft_red:
      if (direction.soft_red_clamp) {
        rate_bps_ = static_cast<double>(mbps_to_bps(direction.soft_red_floor_mbps));
        return RateAction::soft_red;
      }
      return RateAction::none;
    case CongestionState::yellow:
    case CongestionState::red:
    case CongestionState::stall:
      return RateAction::none;
    case CongestionState::green:
    case CongestionState::idle:
      break;
  }

  if (!inputs.green_held) {
    return RateAction::none;
  }
  bool loaded = inputs.achieved_bps.has_value() && *inputs.achieved_bps >= config.increase_load_share * rate_bps_;
  if (inputs.state == CongestionState::green && loaded) {
    if (inputs.now_ns < refractory_until_ns_) {
      return RateAction::none;
    }
    double headroom = std::clamp(1.0 - inputs.smoothed_delta_us / 1000.0 / config.yellow_delta_ms, 0.0, 1.0);
    double speed = kIncreaseSpeedWithoutHeadroom + (1.0 - kIncreaseSpeedWithoutHeadroom) * headroom;
    double base_bps = static_cast<double>(mbps_to_bps(direction.base_rate_mbps));
    bool below_base = rate_bps_ < base_bps;
    double doubling_s = config.increase_doubling_s * (below_base ? kBelowBaseDoublingShare : 1.0);
    double increased_bps = rate_bps_ * std::exp2(inputs.dt_s * speed / doubling_s);
    rate_bps_ = below_base ? std::min(increased_bps, base_bps) : increased_bps;
    return RateAction::increase;
  }

  double base_bps = static_cast<double>(mbps_to_bps(direction.base_rate_mbps));
  rate_bps_ += (base_bps - rate_bps_) * time_weight(inputs.dt_s, config.idle_drift_s);
  return RateAction::drift;
}

RateAction RateLaw::step(const RateInputs& inputs, const DirectionRateConfig& direction,
                         const EstimatorConfig& config) {
  double max_bps = static_cast<double>(mbps_to_bps(direction.max_rate_mbps));
  if (direction.monitor_only) {
    reset(direction);
    return RateAction::monitor;
  }

  if (refractory_at_first_step_) {
    refractory_at_first_step_ = false;
    refractory_until_ns_ = inputs.now_ns + s_to_ns(config.refractory_s);
  }

  RateAction action = RateAction::none;
  double floor_bps = state_floor_bps(inputs.state, direction);
  if (inputs.state == CongestionState::stall) {
    in_episode_ = false;
    if (inputs.silence_s >= config.outage_after_s) {
      double safe_bps = static_cast<double>(mbps_to_bps(direction.safe_rate_mbps));
      if (rate_bps_ != safe_bps) {
        rate_bps_ = safe_bps;
        action = RateAction::outage;
      }
    }
  } else if (inputs.bloat || inputs.state == CongestionState::red) {
    if (!in_episode_) {
      in_episode_ = true;
      cut_in_episode_ = false;
      capacity_cut_in_episode_ = false;
      episode_start_bps_ = rate_bps_;
      last_cut_queue_delta_us_ = inputs.queue_delta_us;
      loaded_at_episode_start_ = inputs.capacity_bps.value_or(0.0) >= config.low_load_share * rate_bps_;
    }
    floor_bps = state_floor_bps(CongestionState::red, direction);
    // A queue that keeps growing after a cut shows the cut fell short, so
    // waiting out the refractory period would only let it grow. After a cut
    // below the achieved rate our own queue must drain. A delay that stays
    // is a longer path or someone else's queue, so cutting it again every
    // refractory period would only take the rate down to the floor.
    bool queue_grew = queue_grew_since_cut(inputs, config);
    bool may_cut = inputs.now_ns >= refractory_until_ns_ || (cut_in_episode_ && queue_grew);
    if (capacity_cut_in_episode_ && !queue_grew) {
      may_cut = false;
    }
    if (may_cut) {
      RateAction cut = RateAction::none;
      double target_bps = std::max(cut_target_bps(inputs, config, cut), floor_bps);
      if (target_bps < rate_bps_) {
        rate_bps_ = target_bps;
        refractory_until_ns_ = inputs.now_ns + s_to_ns(config.refractory_s);
        last_cut_queue_delta_us_ = inputs.queue_delta_us;
        cut_in_episode_ = true;
        capacity_cut_in_episode_ = capacity_cut_in_episode_ || cut == RateAction::cut_capacity;
        action = cut;
      }
    }
  } else {
    in_episode_ = false;
    action = follow_state(inputs, direction, config);
  }

  double clamped_bps = std::clamp(rate_bps_, floor_bps, max_bps);
  if (clamped_bps != rate_bps_) {
    rate_bps_ = clamped_bps;
    if (action == RateAction::none) {
      action = RateAction::clamp;
    }
  }
  return action;
}

}  // namespace wanctl::estimator

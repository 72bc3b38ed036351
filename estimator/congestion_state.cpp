#include "congestion_state.hpp"

#include "time_weight.hpp"

namespace wanctl::estimator {
namespace {

bool lasted(const std::optional<std::int64_t>& since_ns, std::int64_t now_ns, double duration_s) {
  return since_ns.has_value() && ns_to_s(now_ns - *since_ns) >= duration_s;
}

}  // namespace

void CongestionStateMachine::restore(CongestionState state) {
  *this = CongestionStateMachine();
  state_ = state;
}

bool CongestionStateMachine::green_held(std::int64_t now_ns, const EstimatorConfig& config) const {
  bool green = state_ == CongestionState::green || state_ == CongestionState::idle;
  return green && lasted(green_since_ns_, now_ns, config.green_hold_s);
}

CongestionState CongestionStateMachine::update(const StateInputs& inputs, const EstimatorConfig& config) {
  if (inputs.stalled) {
    soft_red_since_ns_.reset();
    green_since_ns_.reset();
    low_load_since_ns_.reset();
    state_ = CongestionState::stall;
    return state_;
  }

  double delta_ms = inputs.smoothed_delta_us / 1000.0;
  CongestionState level = CongestionState::green;
  if (delta_ms >= config.red_delta_ms) {
    level = CongestionState::red;
  } else if (delta_ms >= config.soft_red_delta_ms) {
    level = CongestionState::soft_red;
  } else if (delta_ms >= config.yellow_delta_ms) {
    level = CongestionState::yellow;
  }

  if (level == CongestionState::soft_red || level == CongestionState::red) {
    soft_red_since_ns_ = soft_red_since_ns_.value_or(inputs.now_ns);
  } else {
    soft_red_since_ns_.reset();
  }
  if (level == CongestionState::green) {
    green_since_ns_ = green_since_ns_.value_or(inputs.now_ns);
  } else {
    green_since_ns_.reset();
  }
  if (inputs.load_share.has_value() && *inputs.load_share < config.idle_load_share) {
    low_load_since_ns_ = low_load_since_ns_.value_or(inputs.now_ns);
  } else {
    low_load_since_ns_.reset();
  }

  if (level == CongestionState::soft_red && !lasted(soft_red_since_ns_, inputs.now_ns, config.soft_red_sustain_s)) {
    level = CongestionState::yellow;
  }
  if (level == CongestionState::green && lasted(low_load_since_ns_, inputs.now_ns, config.idle_after_s)) {
    level = CongestionState::idle;
  }
  state_ = level;
  return state_;
}

}  // namespace wanctl::estimator

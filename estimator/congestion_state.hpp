// The congestion state of one direction, from its smoothed delay delta, its
// load and whether any reflector still replies.
//
// GREEN, YELLOW, SOFT_RED and RED follow the smoothed delta through the three
// thresholds; SOFT_RED is reported only after soft_red_sustain_s above its
// threshold (YELLOW until then). IDLE is GREEN with the load below
// idle_load_share for idle_after_s. STALL means no reply from any reflector
// for stall_after_s; it says nothing about the queue.
#pragma once

#include <cstdint>
#include <optional>

#include "estimator_config.hpp"
#include "records.hpp"

namespace wanctl::estimator {

struct StateInputs {
  std::int64_t now_ns = 0;
  double smoothed_delta_us = 0.0;
  bool stalled = false;
  std::optional<double> load_share;  // achieved rate / current rate; nothing while unknown
};

class CongestionStateMachine {
 public:
  CongestionState update(const StateInputs& inputs, const EstimatorConfig& config);

  // Whether the state has been GREEN or IDLE for at least green_hold_s.
  bool green_held(std::int64_t now_ns, const EstimatorConfig& config) const;

  CongestionState state() const { return state_; }
  // Sets the state an earlier run reported; its timers start from scratch.
  void restore(CongestionState state);

 private:
  CongestionState state_ = CongestionState::green;
  std::optional<std::int64_t> soft_red_since_ns_;  // smoothed delta at or above soft_red since
  std::optional<std::int64_t> green_since_ns_;     // smoothed delta below yellow since
  std::optional<std::int64_t> low_load_since_ns_;  // load below idle_load_share since
};

}  // namespace wanctl::estimator

// One reflector's baselines and latest delay deltas.
//
// Echo samples give an RTT, whose delta above the RTT baseline counts for
// both directions. Timestamp samples also give one-way delays, which include
// the unknown offset between the two clocks; the offset cancels against the
// one-way baselines, and a one-way delta that the RTT cannot explain means a
// clock stepped, so the one-way baselines start anew.
#pragma once

#include <array>
#include <cstdint>

#include "baseline.hpp"
#include "records.hpp"
#include "sample_check.hpp"

namespace wanctl::estimator {

// What one sample says about the queues in each direction.
struct SampleDeltas {
  std::array<double, kDirectionCount> delta_us{};  // delay above baseline, by Direction
  bool one_way = false;                            // from one-way delays, not the RTT
  bool clock_step = false;                         // the one-way baselines were reset
};

class ReflectorTracker {
 public:
  // Computes the sample's deltas against the baselines as they were, then
  // updates the baselines. rise_allowed[d] is false while direction d is
  // bloated under load, which freezes the rise of its baselines.
  SampleDeltas update(const CheckedSample& sample, const std::array<bool, kDirectionCount>& rise_allowed,
                      const BaselineTiming& timing, double clock_step_ms);

  // Sets baselines kept by an earlier run.
  void restore(const ReflectorEstimate& estimate);

  // Fills the status entry; baselines idle for longer than reset_after_s are
  // reported as absent.
  void describe(std::uint16_t reflector_id, std::int64_t now_ns, double reset_after_s,
                ReflectorEstimate& estimate) const;

  bool seen() const { return rtt_.has_value(); }

 private:
  Baseline rtt_;
  Baseline up_;
  Baseline down_;
  double delta_rtt_us_ = 0.0;  // latest sample minus baseline
  double delta_up_us_ = 0.0;
  double delta_down_us_ = 0.0;
};

}  // namespace wanctl::estimator

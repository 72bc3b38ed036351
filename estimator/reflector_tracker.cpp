#include "reflector_tracker.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace wanctl::estimator {
namespace {

constexpr int kDownload = static_cast<int>(Direction::download);
constexpr int kUpload = static_cast<int>(Direction::upload);

std::int32_t to_status_us(double value_us) {
  double limited = std::clamp(value_us, static_cast<double>(std::numeric_limits<std::int32_t>::min()),
                              static_cast<double>(std::numeric_limits<std::int32_t>::max()));
  return static_cast<std::int32_t>(std::lround(limited));
}

}  // namespace

SampleDeltas ReflectorTracker::update(const CheckedSample& sample,
                                      const std::array<bool, kDirectionCount>& rise_allowed,
                                      const BaselineTiming& timing, double clock_step_ms) {
  SampleDeltas deltas;

  double delta_rtt_us = rtt_.has_value() ? sample.rtt_us - rtt_.value_us() : 0.0;
  rtt_.update(sample.rtt_us, sample.time_ns, rise_allowed[kDownload] && rise_allowed[kUpload], timing);
  delta_rtt_us_ = delta_rtt_us;
  deltas.delta_us = {delta_rtt_us, delta_rtt_us};
  if (!sample.has_owd) {
    return deltas;
  }

  // Absent or stale one-way baselines start from this sample.
  if (!up_.is_recent(sample.time_ns, timing.reset_after_s) ||
      !down_.is_recent(sample.time_ns, timing.reset_after_s)) {
    up_.reset();
    down_.reset();
  }

  double delta_up_us = up_.has_value() ? sample.up_us - up_.value_us() : 0.0;
  double delta_down_us = down_.has_value() ? sample.down_us - down_.value_us() : 0.0;

  // Queues only add delay, and what they add in either direction also shows
  // in the RTT. A one-way delta further below both zero and the RTT delta
  // than clock_step_ms is a shift of the clock offset, not a queue.
  double floor_us = std::min(0.0, delta_rtt_us) - clock_step_ms * 1000.0;
  if (up_.has_value() && std::min(delta_up_us, delta_down_us) < floor_us) {
    up_.reset();
    down_.reset();
    delta_up_us = 0.0;
    delta_down_us = 0.0;
    deltas.clock_step = true;
  }

  up_.update(sample.up_us, sample.time_ns, rise_allowed[kUpload], timing);
  down_.update(sample.down_us, sample.time_ns, rise_allowed[kDownload], timing);
  delta_up_us_ = delta_up_us;
  delta_down_us_ = delta_down_us;
  deltas.delta_us[kDownload] = delta_down_us;
  deltas.delta_us[kUpload] = delta_up_us;
  deltas.one_way = true;
  return deltas;
}

void ReflectorTracker::restore(const ReflectorEstimate& estimate) {
  *this = ReflectorTracker();
  if (estimate.has_baseline == 0) {
    return;
  }
  rtt_.restore(estimate.baseline_rtt_us, estimate.samples);
  if (estimate.has_owd != 0) {
    up_.restore(estimate.baseline_up_us, estimate.samples);
    down_.restore(estimate.baseline_down_us, estimate.samples);
  }
}

void ReflectorTracker::describe(std::uint16_t reflector_id, std::int64_t now_ns, double reset_after_s,
                                ReflectorEstimate& estimate) const {
  estimate = ReflectorEstimate{};
  estimate.reflector_id = reflector_id;
  estimate.samples = rtt_.samples();
  if (!rtt_.is_recent(now_ns, reset_after_s)) {
    return;
  }
  estimate.has_baseline = 1;
  estimate.baseline_rtt_us = to_status_us(rtt_.value_us());
  estimate.delta_rtt_us = to_status_us(delta_rtt_us_);
  if (up_.is_recent(now_ns, reset_after_s) && down_.is_recent(now_ns, reset_after_s)) {
    estimate.has_owd = 1;
    estimate.baseline_up_us = to_status_us(up_.value_us());
    estimate.baseline_down_us = to_status_us(down_.value_us());
    estimate.delta_up_us = to_status_us(delta_up_us_);
    estimate.delta_down_us = to_status_us(delta_down_us_);
  }
}

}  // namespace wanctl::estimator


#include "baseline.hpp"

#include <algorithm>

#include "time_weight.hpp"

namespace wanctl::estimator {

void Baseline::start(double delay_us, std::int64_t time_ns) {
  has_value_ = true;
  restored_ = false;
  value_us_ = delay_us;
  start_ns_ = time_ns;
  last_ns_ = time_ns;
  samples_ = 1;
}

void Baseline::restore(double value_us, std::uint32_t samples) {
  *this = Baseline();
  has_value_ = true;
  restored_ = true;
  value_us_ = value_us;
  samples_ = samples;
}

bool Baseline::is_recent(std::int64_t now_ns, double max_age_s) const {
  if (!has_value_) {
    return false;
  }
  return restored_ || ns_to_s(now_ns - last_ns_) <= max_age_s;
}

void Baseline::update(double delay_us, std::int64_t time_ns, bool rise_allowed, const BaselineTiming& timing) {
  if (!has_value_) {
    start(delay_us, time_ns);
    return;
  }

  if (restored_) {
    // The earlier run's value is trusted; timing starts from this sample.
    restored_ = false;
    start_ns_ = time_ns - s_to_ns(timing.start_s);
    last_ns_ = time_ns;
    value_us_ = std::min(value_us_, delay_us);
    ++samples_;
    return;
  }

  if (ns_to_s(time_ns - last_ns_) > timing.reset_after_s) {
    start(delay_us, time_ns);
    return;
  }

  // During the start span the baseline is the minimum so far. After it, a
  // sample no newer than the latest one carries no weight.
  double dt_s = ns_to_s(time_ns - last_ns_);
  if (ns_to_s(time_ns - start_ns_) < timing.start_s) {
    value_us_ = std::min(value_us_, delay_us);
  } else if (delay_us < value_us_) {
    value_us_ += (delay_us - value_us_) * time_weight(dt_s, timing.fall_s);
  } else if (rise_allowed) {
    value_us_ += (delay_us - value_us_) * time_weight(dt_s, timing.rise_s);
  }

  last_ns_ = std::max(last_ns_, time_ns);
  ++samples_;
}

}  // namespace wanctl::estimator

// Weights of exponential averages driven by the time between samples.
//
// Every smoothing constant in wanctl is a time constant tau in seconds. A
// sample that arrives dt after the previous one moves the average by
// w = 1 - exp(-dt / tau), so the average forgets at the same speed in
// seconds whatever the probe rate is.
#pragma once

#include <cmath>
#include <cstdint>

namespace wanctl::estimator {

inline constexpr double kNanosecondsPerSecond = 1e9;

inline double ns_to_s(std::int64_t duration_ns) { return static_cast<double>(duration_ns) / kNanosecondsPerSecond; }

inline std::int64_t s_to_ns(double duration_s) {
  return static_cast<std::int64_t>(std::llround(duration_s * kNanosecondsPerSecond));
}

// Returns the weight of a sample that follows the previous one by dt_s. A
// sample at the same instant or earlier carries no weight.
inline double time_weight(double dt_s, double tau_s) {
  if (dt_s <= 0.0) {
    return 0.0;
  }
  return -std::expm1(-dt_s / tau_s);
}

}  // namespace wanctl::estimator

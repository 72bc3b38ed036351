// The uncongested delay of one reflector in one direction (RTT, up or down).
//
// A baseline starts from the minimum of its series' first samples, never from
// a fixed guess: a path whose true delay is 160 ms would otherwise look bloated
// for as long as the baseline takes to climb. After that it falls toward lower
// samples within about baseline_fall_s and rises toward higher samples over
// baseline_rise_s, so it follows the lower envelope of the delay. A series
// without samples for baseline_reset_after_s starts anew.
#pragma once

#include <cstdint>

namespace wanctl::estimator {

struct BaselineTiming {
  double start_s;        // span whose minimum starts the baseline
  double fall_s;         // time constant toward lower samples
  double rise_s;         // time constant toward higher samples
  double reset_after_s;  // longest gap a baseline survives
};

class Baseline {
 public:
  // Moves the baseline toward `delay_us`, a sample taken at time_ns. While
  // rise_allowed is false the baseline only falls: a standing queue we are
  // causing must not become the reference.
  void update(double delay_us, std::int64_t time_ns, bool rise_allowed, const BaselineTiming& timing);

  // Forgets everything; the next sample starts a new baseline.
  void reset() { *this = Baseline(); }

  // Sets the value kept by an earlier run. The next sample continues it
  // without a start span and without the absence check.
  void restore(double value_us, std::uint32_t samples);

  bool has_value() const { return has_value_; }
  double value_us() const { return value_us_; }
  std::uint32_t samples() const { return samples_; }
  // Whether the series had a sample within `max_age_s` before now_ns.
  bool is_recent(std::int64_t now_ns, double max_age_s) const;

 private:
  void start(double delay_us, std::int64_t time_ns);

  bool has_value_ = false;
  bool restored_ = false;        // value from an earlier run, no sample yet
  double value_us_ = 0.0;        // the baseline, microseconds
  std::int64_t start_ns_ = 0;    // first sample of this baseline
  std::int64_t last_ns_ = 0;     // latest sample
  std::uint32_t samples_ = 0;    // samples since the baseline started
};

}  // namespace wanctl::estimator

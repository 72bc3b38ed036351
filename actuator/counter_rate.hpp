// Turns a shaper's cumulative byte counter into the rate over each interval.
//
// The first reading after start, or after the counter's owner was replaced,
// is only a reference: counters that ran since boot are not one interval's
// traffic. A counter that went backwards (qdisc recreated, interface reset,
// router counter reset) gives zero for that interval and becomes the new
// reference, never a huge rate from unsigned wrap-around.
#pragma once

#include <cstdint>
#include <optional>

namespace wanctl {

class CounterRate {
 public:
  struct Interval {
    std::uint64_t rate_bps;
    std::int64_t interval_ns;
  };

  // Returns the rate since the previous reading, or nothing for a reference.
  std::optional<Interval> update(std::uint64_t bytes_total, std::int64_t time_mono_ns) {
    if (!has_reference_ || time_mono_ns <= last_time_ns_) {
      take_reference(bytes_total, time_mono_ns);
      return std::nullopt;
    }

    std::int64_t interval_ns = time_mono_ns - last_time_ns_;
    std::uint64_t delta_bytes = bytes_total >= last_bytes_ ? bytes_total - last_bytes_ : 0;
    take_reference(bytes_total, time_mono_ns);

    // bytes * 8e9 overflows 64-bit integers above ~2.3 GB per interval; a
    // double keeps 53 bits, far finer than any counter's accuracy.
    double bits_per_s = static_cast<double>(delta_bytes) * 8e9 / static_cast<double>(interval_ns);
    return Interval{static_cast<std::uint64_t>(bits_per_s), interval_ns};
  }

  // Makes the next reading a reference again.
  void reset() { has_reference_ = false; }

 private:
  void take_reference(std::uint64_t bytes_total, std::int64_t time_mono_ns) {
    has_reference_ = true;
    last_bytes_ = bytes_total;
    last_time_ns_ = time_mono_ns;
  }

  bool has_reference_ = false;
  std::uint64_t last_bytes_ = 0;
  std::int64_t last_time_ns_ = 0;  // CLOCK_MONOTONIC of the reference reading
};

}  // namespace wanctl

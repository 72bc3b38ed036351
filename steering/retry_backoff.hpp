// When to try a failed device action again: the delay doubles after each
// failure, from the initial delay up to the maximum, and a success resets it.
#pragma once

#include <algorithm>
#include <cstdint>

namespace wanctl {

class RetryBackoff {
 public:
  RetryBackoff(std::int64_t initial_ns, std::int64_t max_ns)
      : initial_ns_(initial_ns), max_ns_(max_ns), delay_ns_(initial_ns) {}

  bool due(std::int64_t now_ns) const { return failures_ == 0 || now_ns >= next_ns_; }

  void failed(std::int64_t now_ns) {
    next_ns_ = now_ns + delay_ns_;
    delay_ns_ = std::min(2 * delay_ns_, max_ns_);
    ++failures_;
  }

  void succeeded() {
    failures_ = 0;
    next_ns_ = 0;
    delay_ns_ = initial_ns_;
  }

  // CLOCK_MONOTONIC of the next attempt, 0 when nothing failed.
  std::int64_t next_ns() const { return next_ns_; }
  std::uint64_t failures() const { return failures_; }  // in a row

 private:
  std::int64_t initial_ns_;
  std::int64_t max_ns_;
  std::int64_t delay_ns_;      // wait after the next failure
  std::int64_t next_ns_ = 0;
  std::uint64_t failures_ = 0;
};

}  // namespace wanctl

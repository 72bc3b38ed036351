// Retry delays that double after each failure up to a limit, so a missing
// interface is retried quickly at first and then without busy-looping.
#pragma once

#include <algorithm>
#include <cstdint>

namespace wanctl::prober {

class Backoff {
 public:
  Backoff(std::int64_t first_ns, std::int64_t max_ns) : first_ns_(first_ns), max_ns_(max_ns), next_ns_(first_ns) {}

  // Returns the delay before the next attempt and doubles the one after it.
  std::int64_t next_delay_ns() {
    std::int64_t delay = next_ns_;
    next_ns_ = std::min(next_ns_ * 2, max_ns_);
    return delay;
  }

  void reset() { next_ns_ = first_ns_; }

 private:
  std::int64_t first_ns_;
  std::int64_t max_ns_;
  std::int64_t next_ns_;  // delay the next failure waits
};

}  // namespace wanctl::prober

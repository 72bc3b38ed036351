// Limits a stream of distinct log messages (state changes) to a number per
// interval, so a flapping link cannot flood the journal. RepeatLimiter in
// common/logging.hpp covers identical repeats; this covers varied ones.
#pragma once

#include <chrono>
#include <cstdint>

namespace wanctl::estimator {

class LogBudget {
 public:
  LogBudget(int messages, std::chrono::seconds interval) : messages_(messages), interval_(interval) {}

  // Returns true when a message may be logged now. After a suppressed
  // stretch, take_suppressed() returns how many were held back.
  bool allow(std::chrono::steady_clock::time_point now) {
    if (now - window_start_ >= interval_) {
      window_start_ = now;
      used_ = 0;
    }
    if (used_ < messages_) {
      ++used_;
      return true;
    }
    ++suppressed_;
    return false;
  }

  std::uint64_t take_suppressed() {
    std::uint64_t count = suppressed_;
    suppressed_ = 0;
    return count;
  }

 private:
  int messages_;
  std::chrono::seconds interval_;
  std::chrono::steady_clock::time_point window_start_{};
  int used_ = 0;
  std::uint64_t suppressed_ = 0;
};

}  // namespace wanctl::estimator

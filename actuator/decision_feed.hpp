// The actuator's end of the decisions ring. It attaches as the ring's one
// consumer, retrying while the estimator has not created it yet. It hands
// over only the newest decision of each batch, because a rate that was
// superseded before it could be applied must never be applied late.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "records.hpp"
#include "ring.hpp"

namespace wanctl {

struct DecisionBatch {
  RateDecision newest{};     // the last decision read
  std::uint64_t index = 0;   // its ring index
  std::uint64_t count = 0;   // decisions read in this batch, newest included
};

class DecisionFeed {
 public:
  explicit DecisionFeed(std::string name) : name_(std::move(name)) {}

  // Attaches to the ring; false with `error` set when it does not exist or
  // does not match. On success the consumer resumes at its stored cursor.
  bool try_attach(std::string& error);
  bool attached() const { return reader_.has_value(); }
  void detach() { reader_.reset(); }

  // Waits up to `timeout` for decisions and returns the newest one read, or
  // nothing when none arrived. Detaches when the estimator recreated the
  // ring, so the caller attaches to the new one.
  std::optional<DecisionBatch> wait_newest(std::chrono::nanoseconds timeout);

  // Reads everything already queued without waiting.
  std::optional<DecisionBatch> drain();

  std::uint64_t lost() const { return reader_ ? reader_->lost() : 0; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::optional<RingReader<RateDecision>> reader_;
  static constexpr std::int64_t kReplaceCheckIntervalNs = 1'000'000'000;
  std::int64_t next_replace_check_ns_ = 0;
};

}  // namespace wanctl

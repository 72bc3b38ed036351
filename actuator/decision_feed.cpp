#include "decision_feed.hpp"

#include "mono_time.hpp"

namespace wanctl {

bool DecisionFeed::try_attach(std::string& error) {
  try {
    // The estimator chooses the capacity; an observer reads it from the header.
    std::uint64_t capacity = RingReader<RateDecision>::observer(name_).capacity();
    reader_.emplace(RingReader<RateDecision>::consumer(name_, capacity));
    return true;
  } catch (const std::exception& failure) {
    error = failure.what();
    reader_.reset();
    return false;
  }
}

std::optional<DecisionBatch> DecisionFeed::drain() {
  if (!reader_) {
    return std::nullopt;
  }
  std::optional<DecisionBatch> batch;
  while (std::optional<RingEntry<RateDecision>> entry = reader_->try_read()) {
    if (!batch) {
      batch.emplace();
    }
    batch->newest = entry->record;
    batch->index = entry->index;
    ++batch->count;
  }
  return batch;
}

std::optional<DecisionBatch> DecisionFeed::wait_newest(std::chrono::nanoseconds timeout) {
  if (!reader_) {
    return std::nullopt;
  }
  if (!reader_->wait(timeout)) {
    // A stat per quiet wait would cost a system call every telemetry
    // interval; a recreated object is noticed within a second anyway.
    std::int64_t now_ns = monotonic_now_ns();
    if (now_ns >= next_replace_check_ns_) {
      next_replace_check_ns_ = now_ns + kReplaceCheckIntervalNs;
      if (reader_->object().replaced_by_name()) {
        reader_.reset();
      }
    }
    return std::nullopt;
  }
  return drain();
}

}  // namespace wanctl

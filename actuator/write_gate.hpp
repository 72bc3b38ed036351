// Decides whether a requested rate is written to the device now: change-only
// with a dead band, at most one write per minimum interval, and an
// exponential backoff after failures.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>

namespace wanctl {

struct WritePolicy {
  double dead_band_percent = 1.0;   // of the device's current rate
  std::int64_t min_write_interval_ns = 0;
  std::int64_t retry_initial_ns = 200'000'000;
  std::int64_t retry_max_ns = 10'000'000'000;
};

enum class WriteVerdict {
  write,
  within_dead_band,  // the device already has this rate, or one close enough
  rate_limited,      // the previous write was less than the minimum interval ago
  backing_off,       // a write failed recently; wait for the backoff to pass
};

class WriteGate {
 public:
  explicit WriteGate(WritePolicy policy = {}) : policy_(policy) {}

  // `device_rate_bps` is what the device has now (0 for unlimited), nothing
  // when unknown; an unknown or unlimited device rate never hides a change.
  WriteVerdict check(std::uint64_t requested_rate_bps, std::optional<std::uint64_t> device_rate_bps,
                     std::int64_t now_ns) const {
    if (device_rate_bps && *device_rate_bps != 0) {
      std::uint64_t difference = requested_rate_bps > *device_rate_bps ? requested_rate_bps - *device_rate_bps
                                                                    : *device_rate_bps - requested_rate_bps;
      double band = static_cast<double>(*device_rate_bps) * policy_.dead_band_percent / 100.0;
      if (difference == 0 || static_cast<double>(difference) < band) {
        return WriteVerdict::within_dead_band;
      }
    }
    if (now_ns < retry_at_ns_) {
      return WriteVerdict::backing_off;
    }
    if (has_written_ && now_ns - last_write_ns_ < policy_.min_write_interval_ns) {
      return WriteVerdict::rate_limited;
    }
    return WriteVerdict::write;
  }

  void on_success(std::int64_t now_ns) {
    has_written_ = true;
    last_write_ns_ = now_ns;
    backoff_ns_ = 0;
    retry_at_ns_ = 0;
  }

  // Counts a failed write toward the minimum interval too, since it may have
  // reached the device; the next try waits for a doubling backoff.
  void on_failure(std::int64_t now_ns) {
    has_written_ = true;
    last_write_ns_ = now_ns;
    backoff_ns_ = backoff_ns_ == 0 ? policy_.retry_initial_ns : std::min(2 * backoff_ns_, policy_.retry_max_ns);
    retry_at_ns_ = now_ns + backoff_ns_;
  }

  // Holds writes until `until_ns`, e.g. while credentials are rejected.
  void hold_until(std::int64_t until_ns) { retry_at_ns_ = std::max(retry_at_ns_, until_ns); }

  // Ends a backoff early, e.g. when a missing device came back.
  void clear_backoff() {
    backoff_ns_ = 0;
    retry_at_ns_ = 0;
  }

  // The earliest time check() can return write, ignoring the dead band.
  std::int64_t next_write_ns() const {
    std::int64_t next = retry_at_ns_;
    if (has_written_) {
      next = std::max(next, last_write_ns_ + policy_.min_write_interval_ns);
    }
    return next;
  }

  std::int64_t retry_at_ns() const { return retry_at_ns_; }
  std::int64_t backoff_ns() const { return backoff_ns_; }

 private:
  WritePolicy policy_;
  bool has_written_ = false;
  std::int64_t last_write_ns_ = 0;  // CLOCK_MONOTONIC of the last write attempt
  std::int64_t backoff_ns_ = 0;     // current backoff, 0 after a success
  std::int64_t retry_at_ns_ = 0;    // no write before this time
};

}  // namespace wanctl

// Smoothed CAKE drop rate from the cumulative drop counters of the actuator's
// telemetry.
//
// Counters are cumulative since the qdisc was created, so the first reading
// after start (or after an actuator restart, seen as a new producer epoch) is
// only a reference; a counter that goes backwards (qdisc replaced) counts as
// zero drops for that interval. The per-reading rate is smoothed with a time
// constant in seconds, weighted by the real time between readings, so the
// telemetry interval does not change the result's time behaviour.
#pragma once

#include <cmath>
#include <cstdint>

#include "records.hpp"

namespace wanctl {

class DropRate {
 public:
  explicit DropRate(double tau_s) : tau_s_(tau_s) {}

  // Feeds one telemetry version. Readings already seen (same version and
  // epoch) are ignored, so this may be called every cycle. A direction that
  // is not valid (not actuated, or no reference reading yet) is left out.
  void add(const LinkTelemetry& telemetry, std::uint64_t version, std::uint64_t epoch) {
    if (has_reference_ && version == reference_version_ && epoch == reference_epoch_) {
      return;
    }

    bool same_producer = has_reference_ && epoch == reference_epoch_;
    double interval_s = static_cast<double>(telemetry.time_mono_ns - reference_time_ns_) * 1e-9;
    bool measured = false;
    std::uint64_t new_drops = 0;
    for (int d = 0; d < kDirectionCount; ++d) {
      const DirectionTelemetry& direction = telemetry.directions[d];
      if (direction.valid == 0) {
        reference_valid_[d] = false;
        continue;
      }
      if (same_producer && interval_s > 0.0 && reference_valid_[d]) {
        std::uint64_t before = reference_drops_[d];
        new_drops += direction.drops_total >= before ? direction.drops_total - before : 0;
        measured = true;
      }
      reference_drops_[d] = direction.drops_total;
      reference_valid_[d] = true;
    }

    if (measured) {
      double sample_per_s = static_cast<double>(new_drops) / interval_s;
      double weight = 1.0 - std::exp(-interval_s / tau_s_);
      rate_per_s_ += weight * (sample_per_s - rate_per_s_);
      known_ = true;
    } else if (!same_producer) {
      rate_per_s_ = 0.0;
      known_ = false;
    }

    has_reference_ = true;
    reference_version_ = version;
    reference_epoch_ = epoch;
    reference_time_ns_ = telemetry.time_mono_ns;
  }

  // Forgets the reference, e.g. while the telemetry is invalid or stale.
  void reset() {
    has_reference_ = false;
    reference_valid_[0] = reference_valid_[1] = false;
    known_ = false;
    rate_per_s_ = 0.0;
  }

  // Drops per second over both directions; 0 until two readings of one
  // producer gave a first interval.
  double rate_per_s() const { return rate_per_s_; }
  bool known() const { return known_; }

 private:
  double tau_s_;
  bool has_reference_ = false;
  bool known_ = false;
  double rate_per_s_ = 0.0;
  std::uint64_t reference_version_ = 0;
  std::uint64_t reference_epoch_ = 0;
  std::int64_t reference_time_ns_ = 0;  // CLOCK_MONOTONIC of the reference reading
  std::uint64_t reference_drops_[kDirectionCount] = {};  // drops_total at the reference
  bool reference_valid_[kDirectionCount] = {};
};

}  // namespace wanctl

#include "wan_signals.hpp"

#include <algorithm>

namespace wanctl {
namespace {

// Age of a block's content: a producer that is alive but has nothing new
// refreshes the heartbeat without publishing, so the newer of the heartbeat
// and the record's own time counts. A time ahead of now (another clock
// reading order between processes) is age zero.
std::int64_t age_ns(std::int64_t heartbeat_ns, std::int64_t record_time_ns, std::int64_t now_ns) {
  std::int64_t newest = std::max(heartbeat_ns, record_time_ns);
  return std::max<std::int64_t>(0, now_ns - newest);
}

}  // namespace

int congestion_severity(CongestionState state) {
  switch (state) {
    case CongestionState::idle: return 0;
    case CongestionState::green: return 0;
    case CongestionState::yellow: return 1;
    case CongestionState::soft_red: return 2;
    case CongestionState::red: return 3;
    case CongestionState::stall: return 4;
  }
  return 4;  // an unknown value is treated as the worst
}

WanSignals SignalTracker::update(const WanReadings& readings, std::int64_t now_ns) {
  WanSignals signals;

  if (readings.status) {
    const EstimatorStatus& status = readings.status->record;
    signals.has_status = true;
    signals.status_age_ns = age_ns(readings.status->heartbeat_ns, status.time_mono_ns, now_ns);
    signals.estimator_state = status.directions[0].state;
    signals.delay_us = status.directions[0].smoothed_delta_us;
    for (const DirectionDecision& direction : status.directions) {
      if (congestion_severity(direction.state) > congestion_severity(signals.estimator_state)) {
        signals.estimator_state = direction.state;
      }
      signals.delay_us = std::max(signals.delay_us, direction.smoothed_delta_us);
    }
    std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
    for (std::uint32_t r = 0; r < count; ++r) {
      if (status.reflectors[r].has_baseline != 0) {
        signals.reflector_delta_us[signals.reflectors_measured++] = status.reflectors[r].delta_rtt_us;
      }
    }
  }

  if (readings.telemetry) {
    const LinkTelemetry& telemetry = readings.telemetry->record;
    signals.has_telemetry = true;
    signals.telemetry_age_ns = age_ns(readings.telemetry->heartbeat_ns, telemetry.time_mono_ns, now_ns);
    for (const DirectionTelemetry& direction : telemetry.directions) {
      if (direction.valid == 0) {
        continue;
      }
      signals.backlog_bytes = std::max(signals.backlog_bytes, direction.backlog_bytes);
      signals.queue_delay_us = std::max(signals.queue_delay_us, direction.average_delay_us);
    }
  }

  signals.fresh = signals.has_status && signals.has_telemetry && signals.status_age_ns <= stale_after_ns_ &&
                  signals.telemetry_age_ns <= stale_after_ns_;

  // Counters of stale telemetry may belong to a qdisc that is gone; start
  // from a new reference once readings are fresh again.
  if (signals.has_telemetry && signals.telemetry_age_ns <= stale_after_ns_) {
    drop_rate_.add(readings.telemetry->record, readings.telemetry->version, readings.telemetry->epoch);
  } else {
    drop_rate_.reset();
  }
  signals.drop_rate_per_s = drop_rate_.rate_per_s();
  return signals;
}

}  // namespace wanctl

#include "assessment.hpp"

#include <cstdio>

#include "record_fields.hpp"

namespace wanctl {
namespace {

std::string format(const char* pattern, double a, double b = 0.0, double c = 0.0) {
  char text[128];
  std::snprintf(text, sizeof(text), pattern, a, b, c);
  return text;
}

std::string stale_reason(const WanSignals& signals, std::int64_t stale_after_ns) {
  double limit_s = static_cast<double>(stale_after_ns) * 1e-9;
  if (!signals.has_status) {
    return "no estimator status published yet";
  }
  if (!signals.has_telemetry) {
    return "no actuator telemetry published yet";
  }
  if (signals.status_age_ns > stale_after_ns) {
    return format("estimator status %.1f s old (limit %.1f s)", static_cast<double>(signals.status_age_ns) * 1e-9,
                  limit_s);
  }
  return format("actuator telemetry %.1f s old (limit %.1f s)", static_cast<double>(signals.telemetry_age_ns) * 1e-9,
                limit_s);
}

// "delay 65.0 ms, 3.2 drops/s, queue 7.1 ms" with the queue as backlog when
// the shaper reports no sojourn delay.
std::string describe_signals(const WanSignals& signals) {
  std::string text = format("delay %.1f ms, %.1f drops/s", signals.delay_us / 1000.0, signals.drop_rate_per_s);
  if (signals.queue_delay_us >= 0) {
    text += format(", queue %.1f ms", signals.queue_delay_us / 1000.0);
  } else {
    text += format(", backlog %.0f kB", signals.backlog_bytes / 1000.0);
  }
  return text;
}

}  // namespace

Assessment assess(const WanSignals& signals, const SteeringThresholds& thresholds, std::int64_t stale_after_ns) {
  if (!signals.fresh) {
    return {WanHealth::stale, stale_reason(signals, stale_after_ns)};
  }
  if (signals.estimator_state == CongestionState::stall) {
    return {WanHealth::stalled, "estimator reports STALL: no replies from any reflector"};
  }

  double delay_ms = signals.delay_us / 1000.0;
  bool delay_red = delay_ms >= thresholds.red_delay_ms;
  bool delay_yellow = delay_ms >= thresholds.yellow_delay_ms;
  bool dropping = signals.drop_rate_per_s >= thresholds.red_drop_rate_per_s;
  bool standing_queue = signals.queue_delay_us >= 0
                            ? signals.queue_delay_us / 1000.0 >= thresholds.red_queue_delay_ms
                            : static_cast<double>(signals.backlog_bytes) >= thresholds.red_backlog_kbytes * 1000.0;
  bool estimator_red = congestion_severity(signals.estimator_state) >= congestion_severity(CongestionState::soft_red);

  std::string values = describe_signals(signals);
  if (delay_red && (dropping || standing_queue)) {
    return {WanHealth::red, values};
  }
  if (delay_yellow || estimator_red) {
    std::string why = delay_red ? "; no drops or standing queue to confirm RED" : "";
    if (estimator_red && !delay_yellow) {
      why = std::string("; estimator state ") + std::string(to_string(signals.estimator_state));
    }
    return {WanHealth::yellow, values + why};
  }
  return {WanHealth::green, values};
}

}  // namespace wanctl

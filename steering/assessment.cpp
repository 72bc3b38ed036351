#include "assessment.hpp"

#include <algorithm>
#include <cmath>
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

int count_delayed_reflectors(const WanSignals& signals, double red_delay_ms) {
  int delayed = 0;
  for (int r = 0; r < signals.reflectors_measured; ++r) {
    delayed += signals.reflector_delta_us[r] / 1000.0 >= red_delay_ms ? 1 : 0;
  }
  return delayed;
}

bool reflectors_agree(int delayed, int measured, double share) {
  int needed = std::max(2, static_cast<int>(std::ceil(share * measured - 1e-9)));
  return measured >= 2 && delayed >= needed;
}

// "delay 65.0 ms, 3/4 reflectors, 3.2 drops/s, queue 7.1 ms" with the queue
// as backlog when the shaper reports no sojourn delay.
std::string describe_signals(const WanSignals& signals, int reflectors_delayed) {
  std::string text = format("delay %.1f ms, ", signals.delay_us / 1000.0) + std::to_string(reflectors_delayed) + "/" +
                     std::to_string(signals.reflectors_measured) +
                     format(" reflectors, %.1f drops/s", signals.drop_rate_per_s);
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
    return {WanHealth::stale, stale_reason(signals, stale_after_ns), 0};
  }
  if (signals.estimator_state == CongestionState::stall) {
    return {WanHealth::stalled, "estimator reports STALL: no replies from any reflector", 0};
  }

  double delay_ms = signals.delay_us / 1000.0;
  bool delay_red = delay_ms >= thresholds.red_delay_ms;
  bool delay_yellow = delay_ms >= thresholds.yellow_delay_ms;
  bool dropping = signals.drop_rate_per_s >= thresholds.red_drop_rate_per_s;
  bool standing_queue = signals.queue_delay_us >= 0
                            ? signals.queue_delay_us / 1000.0 >= thresholds.red_queue_delay_ms
                            : static_cast<double>(signals.backlog_bytes) >= thresholds.red_backlog_kbytes * 1000.0;
  bool estimator_red = congestion_severity(signals.estimator_state) >= congestion_severity(CongestionState::soft_red);
  int delayed = count_delayed_reflectors(signals, thresholds.red_delay_ms);
  bool agreement = reflectors_agree(delayed, signals.reflectors_measured, thresholds.red_reflector_share);

  std::string values = describe_signals(signals, delayed);
  if (delay_red && (agreement || dropping || standing_queue)) {
    return {WanHealth::red, values, delayed};
  }
  if (delay_yellow || estimator_red) {
    std::string why = delay_red ? "; not confirmed by reflectors, drops or a standing queue" : "";
    if (estimator_red && !delay_yellow) {
      why = std::string("; estimator state ") + std::string(to_string(signals.estimator_state));
    }
    return {WanHealth::yellow, values + why, delayed};
  }
  return {WanHealth::green, values, delayed};
}

}  // namespace wanctl

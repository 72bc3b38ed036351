#include "load_tracker.hpp"

#include <algorithm>

#include "time_weight.hpp"

namespace wanctl::estimator {

std::array<TelemetryResult, kDirectionCount> LoadTracker::add(
    const LinkTelemetry& telemetry, const std::array<double, kDirectionCount>& max_rate_bps, double stale_s) {
  std::array<TelemetryResult, kDirectionCount> results{};
  for (int d = 0; d < kDirectionCount; ++d) {
    results[static_cast<std::size_t>(d)] =
        add_direction(directions_[static_cast<std::size_t>(d)], telemetry.time_mono_ns, telemetry.directions[d],
                      max_rate_bps[static_cast<std::size_t>(d)], stale_s);
  }
  return results;
}

TelemetryResult LoadTracker::add_direction(DirectionState& state, std::int64_t time_ns,
                                           const DirectionTelemetry& reading, double max_rate_bps,
                                           double stale_s) {
  auto take_as_reference = [&] {
    state.has_reference = true;
    state.reference_ns = time_ns;
    state.reference_bytes = reading.bytes_total;
  };

  if (reading.valid == 0) {
    state.has_reference = false;
    return TelemetryResult::reference;
  }
  if (!state.has_reference) {
    take_as_reference();
    return TelemetryResult::reference;
  }
  if (time_ns == state.reference_ns) {
    return TelemetryResult::duplicate;
  }
  if (time_ns < state.reference_ns) {
    take_as_reference();
    return TelemetryResult::rejected;
  }

  double interval_s = ns_to_s(time_ns - state.reference_ns);
  if (interval_s > stale_s) {
    take_as_reference();
    return TelemetryResult::reference;
  }

  if (reading.bytes_total < state.reference_bytes) {
    take_as_reference();
    push_rate(state, time_ns, 0.0);
    return TelemetryResult::counter_reset;
  }

  double rate_bps = static_cast<double>(reading.bytes_total - state.reference_bytes) * 8.0 / interval_s;
  take_as_reference();
  if (rate_bps > kMaxRateFactor * max_rate_bps) {
    return TelemetryResult::rejected;
  }
  push_rate(state, time_ns, rate_bps);
  return TelemetryResult::accepted;
}

void LoadTracker::push_rate(DirectionState& state, std::int64_t time_ns, double rate_bps) {
  state.rates[static_cast<std::size_t>(state.next)] = Rate{time_ns, rate_bps};
  state.next = (state.next + 1) % kHistory;
  state.count = std::min(state.count + 1, kHistory);
}

std::optional<double> LoadTracker::achieved_bps(int direction, std::int64_t now_ns, double stale_s) const {
  const DirectionState& state = directions_[static_cast<std::size_t>(direction)];
  if (state.count == 0) {
    return std::nullopt;
  }
  const Rate& latest = state.rates[static_cast<std::size_t>((state.next + kHistory - 1) % kHistory)];
  if (ns_to_s(now_ns - latest.time_ns) > stale_s) {
    return std::nullopt;
  }
  return latest.rate_bps;
}

std::optional<double> LoadTracker::peak_bps(int direction, std::int64_t now_ns, double window_s) const {
  const DirectionState& state = directions_[static_cast<std::size_t>(direction)];
  std::optional<double> peak;
  for (int i = 1; i <= state.count; ++i) {
    const Rate& rate = state.rates[static_cast<std::size_t>((state.next + kHistory - i) % kHistory)];
    if (ns_to_s(now_ns - rate.time_ns) > window_s) {
      break;
    }
    peak = std::max(peak.value_or(0.0), rate.rate_bps);
  }
  return peak;
}

}  // namespace wanctl::estimator

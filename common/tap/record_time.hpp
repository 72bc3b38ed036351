// The CLOCK_MONOTONIC time a record describes, for the tap's --since filter.
#pragma once

#include <cstdint>
#include <optional>

#include "records.hpp"

namespace wanctl {

inline std::optional<std::int64_t> record_time_ns(const ProbeSample& sample) {
  return sample.send_mono_ns;
}
inline std::optional<std::int64_t> record_time_ns(const RateDecision& decision) {
  return decision.time_mono_ns;
}
inline std::optional<std::int64_t> record_time_ns(const LinkTelemetry& telemetry) {
  return telemetry.time_mono_ns;
}
inline std::optional<std::int64_t> record_time_ns(const EstimatorStatus& status) {
  return status.time_mono_ns;
}
inline std::optional<std::int64_t> record_time_ns(const ProberStatus& status) {
  return status.time_mono_ns;
}
inline std::optional<std::int64_t> record_time_ns(const SteeringStatus& status) {
  return status.time_mono_ns;
}
inline std::optional<std::int64_t> record_time_ns(const TestRecord&) { return std::nullopt; }

}  // namespace wanctl

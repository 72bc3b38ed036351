// Which record type lives in which shared-memory object of an instance.
#pragma once

#include <cstdint>

#include "records.hpp"
#include "shm_layout.hpp"

namespace wanctl {

template <typename T>
struct RecordTraits;

template <>
struct RecordTraits<ProbeSample> {
  static constexpr RecordType type = RecordType::probe_sample;
  static constexpr const char* object = "samples";
  static constexpr std::uint64_t default_capacity = 4096;  // 200 s at 20 probes/s
};

template <>
struct RecordTraits<RateDecision> {
  static constexpr RecordType type = RecordType::rate_decision;
  static constexpr const char* object = "decisions";
  static constexpr std::uint64_t default_capacity = 1024;
};

template <>
struct RecordTraits<LinkTelemetry> {
  static constexpr RecordType type = RecordType::link_telemetry;
  static constexpr const char* object = "telemetry";
};

template <>
struct RecordTraits<EstimatorStatus> {
  static constexpr RecordType type = RecordType::estimator_status;
  static constexpr const char* object = "status";
};

template <>
struct RecordTraits<ProberStatus> {
  static constexpr RecordType type = RecordType::prober_status;
  static constexpr const char* object = "prober";
};

template <>
struct RecordTraits<SteeringStatus> {
  static constexpr RecordType type = RecordType::steering_status;
  static constexpr const char* object = "steering";
};

template <>
struct RecordTraits<TestRecord> {
  static constexpr RecordType type = RecordType::test_record;
  static constexpr const char* object = "test";
  static constexpr std::uint64_t default_capacity = 1024;
};

}  // namespace wanctl

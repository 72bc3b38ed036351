// Validation of probe samples before they reach any baseline.
//
// A record whose times contradict each other, whose RTT is negative or
// absurd, or whose reflector id is not configured is rejected as a whole. A
// one-way delay pair that the RTT cannot explain (a wall clock stepped while
// the probe was in flight) is dropped while the RTT is kept.
#pragma once

#include <cstdint>
#include <string_view>

#include "records.hpp"

namespace wanctl::estimator {

// Longest RTT taken as a measurement. The prober's deadline is at most 60 s,
// so a longer one comes from a corrupted or hand-made record.
inline constexpr std::int64_t kMaxRttNs = 60'000'000'000;

// Largest difference between rtt_ns and recv_mono_ns - send_mono_ns.
inline constexpr std::int64_t kRttMismatchNs = 1'000'000;

enum class SampleProblem : std::uint8_t {
  none,
  unknown_reflector,
  unknown_status,
  bad_times,      // missing send time, receive before send, rtt_ns not recv - send
  absurd_rtt,     // zero or longer than kMaxRttNs
};

std::string_view to_string(SampleProblem problem);

// A sample that passed validation, in the units the estimator computes with.
struct CheckedSample {
  bool is_reply = false;       // carries an RTT (reply or bad_timestamp)
  bool has_owd = false;        // one-way delays valid and consistent with the RTT
  bool owd_dropped = false;    // had one-way delays, but they contradicted the RTT
  std::int64_t time_ns = 0;    // receive time of a reply, send time otherwise
  double rtt_us = 0.0;
  double up_us = 0.0;
  double down_us = 0.0;
};

// Checks `sample` against reflector ids 0 .. reflector_count - 1. Returns
// SampleProblem::none and fills `checked` when the sample is usable.
SampleProblem check_sample(const ProbeSample& sample, int reflector_count, double clock_step_ms,
                           CheckedSample& checked);

}  // namespace wanctl::estimator

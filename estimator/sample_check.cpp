#include "sample_check.hpp"

#include <cstdlib>

namespace wanctl::estimator {

std::string_view to_string(SampleProblem problem) {
  switch (problem) {
    case SampleProblem::none: return "none";
    case SampleProblem::unknown_reflector: return "unknown reflector id";
    case SampleProblem::unknown_status: return "unknown sample status";
    case SampleProblem::bad_times: return "inconsistent send, receive and RTT times";
    case SampleProblem::absurd_rtt: return "RTT zero or longer than 60 s";
  }
  return "unknown";
}

SampleProblem check_sample(const ProbeSample& sample, int reflector_count, double clock_step_ms,
                           CheckedSample& checked) {
  checked = CheckedSample{};
  if (sample.reflector_id >= reflector_count) {
    return SampleProblem::unknown_reflector;
  }
  if (sample.send_mono_ns <= 0) {
    return SampleProblem::bad_times;
  }

  switch (sample.status) {
    case SampleStatus::timeout:
    case SampleStatus::error:
      checked.time_ns = sample.send_mono_ns;
      return SampleProblem::none;
    case SampleStatus::reply:
    case SampleStatus::bad_timestamp:
      break;
    default:
      return SampleProblem::unknown_status;
  }

  if (sample.recv_mono_ns < sample.send_mono_ns ||
      std::llabs(sample.rtt_ns - (sample.recv_mono_ns - sample.send_mono_ns)) > kRttMismatchNs) {
    return SampleProblem::bad_times;
  }
  if (sample.rtt_ns <= 0 || sample.rtt_ns > kMaxRttNs) {
    return SampleProblem::absurd_rtt;
  }
  checked.is_reply = true;
  checked.time_ns = sample.recv_mono_ns;
  checked.rtt_us = static_cast<double>(sample.rtt_ns) / 1000.0;

  if (sample.status != SampleStatus::reply || sample.has_owd == 0) {
    return SampleProblem::none;
  }

  // up + down = RTT - the reflector's processing time, whatever the offset
  // between the two clocks, as long as neither clock stepped during the probe.
  double up_us = sample.owd_up_us;
  double down_us = sample.owd_down_us;
  if (std::abs(up_us + down_us - checked.rtt_us) > clock_step_ms * 1000.0) {
    checked.owd_dropped = true;
    return SampleProblem::none;
  }
  checked.has_owd = true;
  checked.up_us = up_us;
  checked.down_us = down_us;
  return SampleProblem::none;
}

}  // namespace wanctl::estimator

// Synthetic probe and telemetry traces for the estimator tests: reflectors
// with chosen path delays, clock offsets and noise, a queue delay and a load
// that follow functions of time, written in the tap's CSV format.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "records.hpp"

namespace wanctl::test {

// Queue delay added to one probe, per direction, in milliseconds.
struct QueueDelay {
  double up_ms = 0.0;
  double down_ms = 0.0;
};

struct ReflectorSpec {
  double base_rtt_ms = 20.0;      // path RTT without any queue
  bool timestamp = false;         // ICMP timestamp: one-way delays at millisecond resolution
  double clock_offset_ms = 0.0;   // reflector clock minus ours
};

struct TraceSpec {
  std::vector<ReflectorSpec> reflectors = {{20.0}, {25.0}, {30.0}};
  double probe_rate_hz = 20.0;    // over all reflectors, round robin
  double duration_s = 60.0;
  std::int64_t start_ns = 1'000'000'000'000;  // monotonic time of the first probe
  double jitter_ms = 0.0;         // each one-way delay gets uniform noise in [0, jitter_ms]
  std::uint32_t seed = 1;
  double timeout_ms = 1000.0;     // when the prober writes a timeout

  // Wall clock (milliseconds since midnight UTC) at the first probe; ICMP
  // timestamps are taken from it. Noon keeps the trace away from midnight.
  double wall_start_ms = 43'200'000.0;
  // Step of our wall clock at t_s (e.g. -1760 after chrony stepped it back);
  // one-way delays come out as the prober computes them from such a clock.
  std::function<double(double t_s)> local_clock_step_ms;

  // Queue delay of the probe sent t_s after the start to reflector r.
  std::function<QueueDelay(double t_s, int reflector)> queue;
  // Whether that probe is answered; unanswered probes become timeouts.
  std::function<bool(double t_s, int reflector)> answered;
  // Called to adjust each finished sample (e.g. to corrupt it).
  std::function<void(double t_s, ProbeSample& sample)> edit;

  // Telemetry readings per second; none when achieved_mbps is empty.
  double telemetry_hz = 10.0;
  std::function<std::array<double, kDirectionCount>(double t_s)> achieved_mbps;
};

struct Trace {
  std::vector<ProbeSample> samples;      // in the order the prober writes them, sample_id = index
  std::vector<LinkTelemetry> telemetry;
};

Trace make_trace(const TraceSpec& spec);

// Folds a difference of two times in milliseconds since midnight into
// [-43,200,000, 43,200,000), as the prober does for timestamp replies.
std::int64_t fold_day_ms(std::int64_t difference_ms);

// Time the estimator uses for a sample: receive time of a reply, send time
// otherwise.
std::int64_t sample_event_ns(const ProbeSample& sample);

void write_samples_csv(const std::vector<ProbeSample>& samples, const std::string& path);
void write_telemetry_csv(const std::vector<LinkTelemetry>& telemetry, const std::string& path);

}  // namespace wanctl::test

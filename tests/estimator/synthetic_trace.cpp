#include "synthetic_trace.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <stdexcept>

#include "record_fields.hpp"
#include "trace_csv.hpp"

namespace wanctl::test {
namespace {

std::int64_t ms_to_ns(double ms) { return static_cast<std::int64_t>(std::llround(ms * 1e6)); }

constexpr std::int64_t kDayMs = 86'400'000;

// An ICMP timestamp: whole milliseconds since midnight UTC.
std::int64_t timestamp_ms(double wall_ms) {
  auto whole = static_cast<std::int64_t>(std::floor(wall_ms));
  return ((whole % kDayMs) + kDayMs) % kDayMs;
}

struct Pending {
  std::int64_t written_ns;  // when the prober writes the record
  ProbeSample sample;
};

}  // namespace

std::int64_t fold_day_ms(std::int64_t difference_ms) {
  std::int64_t folded = ((difference_ms % kDayMs) + kDayMs) % kDayMs;
  return folded >= kDayMs / 2 ? folded - kDayMs : folded;
}

std::int64_t sample_event_ns(const ProbeSample& sample) {
  bool reply = sample.status == SampleStatus::reply || sample.status == SampleStatus::bad_timestamp;
  return reply ? sample.recv_mono_ns : sample.send_mono_ns;
}

Trace make_trace(const TraceSpec& spec) {
  Trace trace;
  std::mt19937 random(spec.seed);
  std::uniform_real_distribution<double> jitter(0.0, spec.jitter_ms);
  int reflector_count = static_cast<int>(spec.reflectors.size());
  auto probes = static_cast<std::int64_t>(spec.duration_s * spec.probe_rate_hz);

  std::vector<Pending> pending;
  for (std::int64_t i = 0; i < probes; ++i) {
    double t_s = static_cast<double>(i) / spec.probe_rate_hz;
    int r = static_cast<int>(i % reflector_count);
    const ReflectorSpec& reflector = spec.reflectors[static_cast<std::size_t>(r)];

    ProbeSample sample{};
    sample.reflector_id = static_cast<std::uint16_t>(r);
    sample.reflector_address[0] = 192;
    sample.reflector_address[1] = 0;
    sample.reflector_address[2] = 2;
    sample.reflector_address[3] = static_cast<std::uint8_t>(1 + r);
    sample.address_family = 2;  // AF_INET
    sample.icmp_sequence = static_cast<std::uint16_t>(i);
    sample.method = reflector.timestamp ? ProbeMethod::timestamp : ProbeMethod::echo;
    sample.send_mono_ns = spec.start_ns + ms_to_ns(t_s * 1000.0);

    // Jitter is drawn for every probe so that the noise does not depend on
    // which probes are answered.
    double jitter_up_ms = spec.jitter_ms > 0.0 ? jitter(random) : 0.0;
    double jitter_down_ms = spec.jitter_ms > 0.0 ? jitter(random) : 0.0;
    bool answered = !spec.answered || spec.answered(t_s, r);
    if (!answered) {
      sample.status = SampleStatus::timeout;
      pending.push_back({sample.send_mono_ns + ms_to_ns(spec.timeout_ms), sample});
      continue;
    }

    QueueDelay queue = spec.queue ? spec.queue(t_s, r) : QueueDelay{};
    double up_ms = reflector.base_rtt_ms / 2.0 + queue.up_ms + jitter_up_ms;
    double down_ms = reflector.base_rtt_ms / 2.0 + queue.down_ms + jitter_down_ms;
    sample.status = SampleStatus::reply;
    sample.icmp_type = reflector.timestamp ? 14 : 0;
    sample.rtt_ns = ms_to_ns(up_ms + down_ms);
    sample.recv_mono_ns = sample.send_mono_ns + sample.rtt_ns;
    if (reflector.timestamp) {
      // The four timestamps of the exchange, from our possibly stepped wall
      // clock and the reflector's offset one. The reflector replies at once.
      double send_ms = t_s * 1000.0;
      double recv_ms = send_ms + up_ms + down_ms;
      auto step_ms = [&](double at_ms) {
        return spec.local_clock_step_ms ? spec.local_clock_step_ms(at_ms / 1000.0) : 0.0;
      };
      std::int64_t originate = timestamp_ms(spec.wall_start_ms + send_ms + step_ms(send_ms));
      std::int64_t receive = timestamp_ms(spec.wall_start_ms + send_ms + up_ms + reflector.clock_offset_ms);
      std::int64_t transmit = receive;
      std::int64_t local_receive = timestamp_ms(spec.wall_start_ms + recv_ms + step_ms(recv_ms));
      sample.has_owd = 1;
      sample.owd_up_us = static_cast<std::int32_t>(fold_day_ms(receive - originate) * 1000);
      sample.owd_down_us = static_cast<std::int32_t>(fold_day_ms(local_receive - transmit) * 1000);
    }
    if (spec.edit) {
      spec.edit(t_s, sample);
    }
    pending.push_back({sample.recv_mono_ns != 0 ? sample.recv_mono_ns : sample.send_mono_ns, sample});
  }

  std::stable_sort(pending.begin(), pending.end(),
                   [](const Pending& a, const Pending& b) { return a.written_ns < b.written_ns; });
  for (Pending& entry : pending) {
    entry.sample.sample_id = trace.samples.size();
    trace.samples.push_back(entry.sample);
  }

  if (spec.achieved_mbps) {
    std::array<double, kDirectionCount> bytes{};
    auto readings = static_cast<std::int64_t>(spec.duration_s * spec.telemetry_hz);
    double interval_s = 1.0 / spec.telemetry_hz;
    for (std::int64_t i = 0; i < readings; ++i) {
      double t_s = static_cast<double>(i) * interval_s;
      std::array<double, kDirectionCount> rate_mbps = spec.achieved_mbps(t_s);
      LinkTelemetry telemetry{};
      telemetry.time_mono_ns = spec.start_ns + ms_to_ns(t_s * 1000.0);
      telemetry.interval_ns = ms_to_ns(interval_s * 1000.0);
      for (int d = 0; d < kDirectionCount; ++d) {
        bytes[static_cast<std::size_t>(d)] += rate_mbps[static_cast<std::size_t>(d)] * 1e6 / 8.0 * interval_s;
        DirectionTelemetry& direction = telemetry.directions[d];
        direction.bytes_total = static_cast<std::uint64_t>(bytes[static_cast<std::size_t>(d)]);
        direction.achieved_rate_bps = static_cast<std::uint64_t>(rate_mbps[static_cast<std::size_t>(d)] * 1e6);
        direction.peak_delay_us = -1;
        direction.average_delay_us = -1;
        direction.device_state = DeviceState::ok;
        direction.valid = 1;
      }
      trace.telemetry.push_back(telemetry);
    }
  }
  return trace;
}

template <typename Record>
void write_csv(const std::vector<Record>& records, const std::string& path) {
  std::ofstream out(path, std::ios::trunc);
  if (!out) {
    throw std::runtime_error("cannot write " + path);
  }
  estimator::write_csv_header(out, record_fields(Record{}));
  for (const Record& record : records) {
    estimator::write_csv_row(out, record_fields(record));
  }
}

void write_samples_csv(const std::vector<ProbeSample>& samples, const std::string& path) { write_csv(samples, path); }

void write_telemetry_csv(const std::vector<LinkTelemetry>& telemetry, const std::string& path) {
  write_csv(telemetry, path);
}

}  // namespace wanctl::test

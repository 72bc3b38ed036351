#include "sample_builder.hpp"

#include <climits>
#include <cstdlib>
#include <cstring>

#include "timestamp_math.hpp"

namespace wanctl::prober {

ProbeSample make_probe_sample(const InFlightProbe& probe, const IpAddress& reflector) {
  ProbeSample sample{};
  sample.send_mono_ns = probe.send_mono_ns;
  std::memcpy(sample.reflector_address, reflector.bytes.data(), sizeof(sample.reflector_address));
  sample.address_family = reflector.family;
  sample.reflector_id = probe.reflector_id;
  sample.icmp_sequence = probe.sequence;
  sample.method = probe.method;
  return sample;
}

ProbeSample make_reply_sample(const InFlightProbe& probe, const IpAddress& reflector, const ReceivedIcmp& reply,
                              std::int64_t recv_mono_ns, std::uint32_t local_receive_ms) {
  ProbeSample sample = make_probe_sample(probe, reflector);
  sample.status = SampleStatus::reply;
  sample.recv_mono_ns = recv_mono_ns;
  sample.rtt_ns = recv_mono_ns - probe.send_mono_ns;
  sample.icmp_type = reply.type;
  sample.icmp_code = reply.code;
  if (probe.method != ProbeMethod::timestamp) {
    return sample;
  }

  // The originate time is ours, kept since sending; the echoed copy in the
  // reply is not trusted.
  std::optional<OneWayDelays> delays =
      one_way_delays(TimestampExchange{probe.originate_ms, reply.receive_ms, reply.transmit_ms, local_receive_ms});
  // A clock offset beyond +-35 minutes (a reflector replying in local time,
  // say) does not fit the microsecond fields and is treated as invalid.
  constexpr std::int64_t kMaxDelayMs = INT32_MAX / 1000;
  if (!delays || std::abs(delays->up_ms) > kMaxDelayMs || std::abs(delays->down_ms) > kMaxDelayMs) {
    sample.status = SampleStatus::bad_timestamp;
    return sample;
  }
  sample.has_owd = 1;
  sample.owd_up_us = static_cast<std::int32_t>(delays->up_ms * 1000);
  sample.owd_down_us = static_cast<std::int32_t>(delays->down_ms * 1000);
  return sample;
}

ProbeSample make_error_sample(const InFlightProbe& probe, const IpAddress& reflector, const ReceivedIcmp& error,
                              std::int64_t recv_mono_ns) {
  ProbeSample sample = make_probe_sample(probe, reflector);
  sample.status = SampleStatus::error;
  sample.recv_mono_ns = recv_mono_ns;
  sample.icmp_type = error.type;
  sample.icmp_code = error.code;
  return sample;
}

ProbeSample make_timeout_sample(const InFlightProbe& probe, const IpAddress& reflector) {
  ProbeSample sample = make_probe_sample(probe, reflector);
  sample.status = SampleStatus::timeout;
  return sample;
}

ProbeSample make_send_error_sample(const InFlightProbe& probe, const IpAddress& reflector) {
  ProbeSample sample = make_probe_sample(probe, reflector);
  sample.status = SampleStatus::error;
  return sample;
}

}  // namespace wanctl::prober

// Turning a resolved probe into the ProbeSample record the estimator reads.
#pragma once

#include <cstdint>
#include <optional>

#include "icmp_message.hpp"
#include "probe_tracker.hpp"
#include "prober_config.hpp"
#include "records.hpp"

namespace wanctl::prober {

// A sample with the probe's own fields filled in and the status left to the
// caller: reflector, sequence, method, send time.
ProbeSample make_probe_sample(const InFlightProbe& probe, const IpAddress& reflector);

// A reply or, for a timestamp reply with invalid times, a bad_timestamp.
// local_receive_ms is our time of day when the reply arrived.
ProbeSample make_reply_sample(const InFlightProbe& probe, const IpAddress& reflector, const ReceivedIcmp& reply,
                              std::int64_t recv_mono_ns, std::uint32_t local_receive_ms);

ProbeSample make_error_sample(const InFlightProbe& probe, const IpAddress& reflector, const ReceivedIcmp& error,
                              std::int64_t recv_mono_ns);

ProbeSample make_timeout_sample(const InFlightProbe& probe, const IpAddress& reflector);

// A probe the kernel refused to send (no route, blackhole, firewall).
ProbeSample make_send_error_sample(const InFlightProbe& probe, const IpAddress& reflector);

}  // namespace wanctl::prober

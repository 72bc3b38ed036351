#include "record_fields.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>
#include <type_traits>

namespace wanctl {
namespace {

class FieldList {
 public:
  template <typename Number>
    requires std::is_arithmetic_v<Number>
  void add(std::string name, Number value) {
    if constexpr (std::is_same_v<Number, std::uint8_t> || std::is_same_v<Number, bool>) {
      fields_.push_back({std::move(name), std::to_string(static_cast<unsigned>(value)), true});
    } else {
      fields_.push_back({std::move(name), std::to_string(value), true});
    }
  }

  void add_text(std::string name, std::string_view value) {
    fields_.push_back({std::move(name), std::string(value), false});
  }

  // Adds a fixed-size text field, which may lack a terminating NUL when a
  // writer filled it completely.
  void add_chars(std::string name, const char* chars, std::size_t size) {
    add_text(std::move(name), std::string_view(chars, ::strnlen(chars, size)));
  }

  std::vector<Field> take() { return std::move(fields_); }

 private:
  std::vector<Field> fields_;
};

const char* direction_prefix(int direction) { return direction == 0 ? "download_" : "upload_"; }

void add_direction(FieldList& fields, const char* prefix, const DirectionDecision& decision) {
  std::string p = prefix;
  fields.add(p + "rate_bps", decision.rate_bps);
  fields.add(p + "achieved_rate_bps", decision.achieved_rate_bps);
  fields.add(p + "delta_us", decision.delta_us);
  fields.add(p + "smoothed_delta_us", decision.smoothed_delta_us);
  fields.add_text(p + "state", to_string(decision.state));
  fields.add(p + "apply", decision.apply);
  fields.add(p + "bufferbloat", decision.bufferbloat);
}

}  // namespace

std::string_view to_string(SampleStatus status) {
  switch (status) {
    case SampleStatus::reply: return "reply";
    case SampleStatus::timeout: return "timeout";
    case SampleStatus::error: return "error";
    case SampleStatus::bad_timestamp: return "bad_timestamp";
  }
  return "unknown";
}

std::string_view to_string(ProbeMethod method) {
  switch (method) {
    case ProbeMethod::echo: return "echo";
    case ProbeMethod::timestamp: return "timestamp";
  }
  return "unknown";
}

std::string_view to_string(CongestionState state) {
  switch (state) {
    case CongestionState::green: return "GREEN";
    case CongestionState::yellow: return "YELLOW";
    case CongestionState::soft_red: return "SOFT_RED";
    case CongestionState::red: return "RED";
    case CongestionState::idle: return "IDLE";
    case CongestionState::stall: return "STALL";
  }
  return "UNKNOWN";
}

std::string_view to_string(DeviceState state) {
  switch (state) {
    case DeviceState::unknown: return "unknown";
    case DeviceState::ok: return "ok";
    case DeviceState::failing: return "failing";
    case DeviceState::unauthorized: return "unauthorized";
    case DeviceState::missing: return "missing";
    case DeviceState::dry_run: return "dry_run";
  }
  return "unknown";
}

std::string_view to_string(Direction direction) {
  return direction == Direction::download ? "download" : "upload";
}

std::string_view to_string(WanHealth health) {
  switch (health) {
    case WanHealth::unknown: return "UNKNOWN";
    case WanHealth::green: return "GREEN";
    case WanHealth::yellow: return "YELLOW";
    case WanHealth::red: return "RED";
    case WanHealth::stale: return "STALE";
    case WanHealth::stalled: return "STALLED";
  }
  return "UNKNOWN";
}

std::string format_address(const std::uint8_t (&address)[16], std::uint8_t family) {
  char text[INET6_ADDRSTRLEN] = {};
  if (family == AF_INET6) {
    ::inet_ntop(AF_INET6, address, text, sizeof(text));
  } else if (family == AF_INET) {
    ::inet_ntop(AF_INET, address, text, sizeof(text));
  } else {
    return "-";
  }
  return text;
}

std::vector<Field> record_fields(const ProbeSample& sample) {
  FieldList fields;
  fields.add("sample_id", sample.sample_id);
  fields.add("reflector_id", sample.reflector_id);
  fields.add_text("reflector", format_address(sample.reflector_address, sample.address_family));
  fields.add_text("status", to_string(sample.status));
  fields.add_text("method", to_string(sample.method));
  fields.add("send_mono_ns", sample.send_mono_ns);
  fields.add("recv_mono_ns", sample.recv_mono_ns);
  fields.add("rtt_ns", sample.rtt_ns);
  fields.add("has_owd", sample.has_owd);
  fields.add("owd_up_us", sample.owd_up_us);
  fields.add("owd_down_us", sample.owd_down_us);
  fields.add("icmp_sequence", sample.icmp_sequence);
  fields.add("icmp_type", sample.icmp_type);
  fields.add("icmp_code", sample.icmp_code);
  return fields.take();
}

std::vector<Field> record_fields(const RateDecision& decision) {
  FieldList fields;
  fields.add("decision_id", decision.decision_id);
  fields.add("time_mono_ns", decision.time_mono_ns);
  fields.add("cause_sample_id", decision.cause_sample_id);
  fields.add("cause_recv_mono_ns", decision.cause_recv_mono_ns);
  fields.add("heartbeat", decision.heartbeat);
  for (int d = 0; d < kDirectionCount; ++d) {
    add_direction(fields, direction_prefix(d), decision.directions[d]);
  }
  return fields.take();
}

std::vector<Field> record_fields(const LinkTelemetry& telemetry) {
  FieldList fields;
  fields.add("time_mono_ns", telemetry.time_mono_ns);
  fields.add("interval_ns", telemetry.interval_ns);
  fields.add("last_applied_decision_id", telemetry.last_applied_decision_id);
  fields.add("last_apply_latency_ns", telemetry.last_apply_latency_ns);
  fields.add("device_writes", telemetry.device_writes);
  fields.add("device_write_errors", telemetry.device_write_errors);
  for (int d = 0; d < kDirectionCount; ++d) {
    const DirectionTelemetry& direction = telemetry.directions[d];
    std::string p = direction_prefix(d);
    fields.add(p + "bytes_total", direction.bytes_total);
    fields.add(p + "packets_total", direction.packets_total);
    fields.add(p + "drops_total", direction.drops_total);
    fields.add(p + "ecn_marks_total", direction.ecn_marks_total);
    fields.add(p + "achieved_rate_bps", direction.achieved_rate_bps);
    fields.add(p + "applied_rate_bps", direction.applied_rate_bps);
    fields.add(p + "backlog_bytes", direction.backlog_bytes);
    fields.add(p + "backlog_packets", direction.backlog_packets);
    fields.add(p + "peak_delay_us", direction.peak_delay_us);
    fields.add(p + "average_delay_us", direction.average_delay_us);
    fields.add_text(p + "device_state", to_string(direction.device_state));
    fields.add(p + "valid", direction.valid);
  }
  fields.add_chars("last_error", telemetry.last_error, sizeof(telemetry.last_error));
  return fields.take();
}

std::vector<Field> record_fields(const EstimatorStatus& status) {
  FieldList fields;
  fields.add("time_mono_ns", status.time_mono_ns);
  fields.add("decision_id", status.decision_id);
  fields.add("next_sample_id", status.next_sample_id);
  fields.add("samples_used", status.samples_used);
  fields.add("samples_rejected", status.samples_rejected);
  fields.add("samples_lost", status.samples_lost);
  fields.add("samples_skipped", status.samples_skipped);
  fields.add("telemetry_rejected", status.telemetry_rejected);
  for (int d = 0; d < kDirectionCount; ++d) {
    add_direction(fields, direction_prefix(d), status.directions[d]);
  }
  fields.add("reflector_count", status.reflector_count);
  std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
  for (std::uint32_t i = 0; i < count; ++i) {
    const ReflectorEstimate& reflector = status.reflectors[i];
    std::string p = "reflector" + std::to_string(i) + "_";
    fields.add(p + "id", reflector.reflector_id);
    fields.add(p + "has_baseline", reflector.has_baseline);
    fields.add(p + "baseline_rtt_us", reflector.baseline_rtt_us);
    fields.add(p + "delta_rtt_us", reflector.delta_rtt_us);
    fields.add(p + "has_owd", reflector.has_owd);
    fields.add(p + "baseline_up_us", reflector.baseline_up_us);
    fields.add(p + "baseline_down_us", reflector.baseline_down_us);
    fields.add(p + "delta_up_us", reflector.delta_up_us);
    fields.add(p + "delta_down_us", reflector.delta_down_us);
    fields.add(p + "samples", reflector.samples);
  }
  fields.add_chars("last_change_reason", status.last_change_reason, sizeof(status.last_change_reason));
  return fields.take();
}

std::vector<Field> record_fields(const ProberStatus& status) {
  FieldList fields;
  fields.add("time_mono_ns", status.time_mono_ns);
  fields.add("probes_sent", status.probes_sent);
  fields.add("replies", status.replies);
  fields.add("timeouts", status.timeouts);
  fields.add("errors", status.errors);
  fields.add("duplicates", status.duplicates);
  fields.add("late_replies", status.late_replies);
  fields.add("replacements", status.replacements);
  fields.add("skipped_slots", status.skipped_slots);
  fields.add("receive_time_fallbacks", status.receive_time_fallbacks);
  fields.add("send_errors", status.send_errors);
  fields.add("bad_timestamps", status.bad_timestamps);
  fields.add("unmatched", status.unmatched);
  fields.add("last_sample_mono_ns", status.last_sample_mono_ns);
  fields.add("sockets_open", status.sockets_open);
  fields.add("unprivileged_socket", status.unprivileged_socket);
  fields.add("reflector_count", status.reflector_count);
  std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
  for (std::uint32_t i = 0; i < count; ++i) {
    const ReflectorHealth& reflector = status.reflectors[i];
    std::string p = "reflector" + std::to_string(i) + "_";
    fields.add_text(p + "address", format_address(reflector.address, reflector.address_family));
    fields.add(p + "active", reflector.active);
    fields.add_text(p + "method", to_string(reflector.method));
    fields.add(p + "probes_sent", reflector.probes_sent);
    fields.add(p + "replies", reflector.replies);
    fields.add(p + "recent_timeouts", reflector.recent_timeouts);
    fields.add(p + "median_rtt_us", reflector.median_rtt_us);
    fields.add(p + "loss_permille", reflector.loss_permille);
  }
  fields.add_chars("last_error", status.last_error, sizeof(status.last_error));
  return fields.take();
}

std::vector<Field> record_fields(const SteeringStatus& status) {
  FieldList fields;
  fields.add("time_mono_ns", status.time_mono_ns);
  fields.add("steered", status.steered);
  fields.add("wanted_steered", status.wanted_steered);
  fields.add("decision_since_ns", status.decision_since_ns);
  fields.add_text("action_state", to_string(status.action_state));
  fields.add("action_writes", status.action_writes);
  fields.add("action_errors", status.action_errors);
  fields.add("external_changes", status.external_changes);
  fields.add("next_retry_ns", status.next_retry_ns);
  fields.add_chars("hold_reason", status.hold_reason, sizeof(status.hold_reason));
  fields.add_chars("last_error", status.last_error, sizeof(status.last_error));

  const char* roles[2] = {"primary_", "alternate_"};
  for (int i = 0; i < 2; ++i) {
    const SteeringWan& wan = status.wans[i];
    std::string p = roles[i];
    fields.add_chars(p + "instance", wan.instance, sizeof(wan.instance));
    fields.add_text(p + "health", to_string(wan.health));
    fields.add(p + "health_since_ns", wan.health_since_ns);
    fields.add_text(p + "estimator_state", to_string(wan.estimator_state));
    fields.add(p + "delay_us", wan.delay_us);
    fields.add(p + "reflectors_delayed", wan.reflectors_delayed);
    fields.add(p + "reflectors_measured", wan.reflectors_measured);
    fields.add(p + "drop_rate_per_s", wan.drop_rate_per_s);
    fields.add(p + "queue_delay_us", wan.queue_delay_us);
    fields.add(p + "backlog_bytes", wan.backlog_bytes);
    fields.add(p + "status_age_ns", wan.status_age_ns);
    fields.add(p + "telemetry_age_ns", wan.telemetry_age_ns);
  }

  // Only the recorded transitions, newest first, so that the text output
  // starts with the one that explains the current decision.
  fields.add("transitions_total", status.transitions_total);
  fields.add("transition_count", status.transition_count);
  std::uint32_t count = std::min<std::uint32_t>(status.transition_count, kSteeringHistory);
  for (std::uint32_t age = 0; age < count; ++age) {
    const SteeringTransition& transition = status.transitions[count - 1 - age];
    std::string p = "transition" + std::to_string(age) + "_";
    fields.add(p + "time_unix_ms", transition.time_unix_ms);
    fields.add(p + "steered", transition.steered);
    fields.add_text(p + "primary_health", to_string(transition.primary_health));
    fields.add_text(p + "alternate_health", to_string(transition.alternate_health));
    fields.add_chars(p + "reason", transition.reason, sizeof(transition.reason));
  }
  return fields.take();
}

std::vector<Field> record_fields(const TestRecord& record) {
  FieldList fields;
  fields.add("index", record.index);
  fields.add("check0", record.check[0]);
  return fields.take();
}

}  // namespace wanctl

#include "record_metrics.hpp"

#include "record_fields.hpp"

namespace wanctl {
namespace {

constexpr CongestionState kStates[] = {CongestionState::green, CongestionState::yellow, CongestionState::soft_red,
                                       CongestionState::red,   CongestionState::idle,   CongestionState::stall};
constexpr DeviceState kDeviceStates[] = {DeviceState::unknown,      DeviceState::ok,      DeviceState::failing,
                                         DeviceState::unauthorized, DeviceState::missing, DeviceState::dry_run};

double us_to_s(std::int64_t delay_us) { return static_cast<double>(delay_us) / 1e6; }

Labels direction_labels(const std::string& instance, int direction) {
  return {{"instance", instance}, {"direction", std::string(to_string(static_cast<Direction>(direction)))}};
}

// The reflector's address when the prober's status lists it, else "#<id>".
std::string reflector_label(std::uint16_t id, const ProberStatus* prober) {
  if (prober != nullptr && id < prober->reflector_count && id < kMaxReflectors) {
    const ReflectorHealth& health = prober->reflectors[id];
    return format_address(health.address, health.address_family);
  }
  return "#" + std::to_string(id);
}

void add_direction(FamilySet& families, const std::string& instance, int direction,
                   const DirectionDecision& decision) {
  Labels labels = direction_labels(instance, direction);
  families.gauge("wanctl_shaper_rate_bits_per_second", "Shaper rate the estimator wants", labels,
                 static_cast<double>(decision.rate_bps));
  families.gauge("wanctl_smoothed_delay_delta_seconds", "Smoothed delay above baseline that drives the state",
                 labels, us_to_s(decision.smoothed_delta_us));
  families.gauge("wanctl_delay_delta_seconds", "Latest delay above baseline", labels, us_to_s(decision.delta_us));
  families.gauge("wanctl_bufferbloat", "1 while bufferbloat is declared in this direction", labels,
                 decision.bufferbloat);
  families.gauge("wanctl_rate_applied", "1 when decisions are applied, 0 in monitor-only mode", labels,
                 decision.apply);
  for (CongestionState state : kStates) {
    Labels with_state = labels;
    with_state.push_back({"state", std::string(to_string(state))});
    families.gauge("wanctl_congestion_state", "1 for the current congestion state of the direction", with_state,
                   decision.state == state ? 1.0 : 0.0);
  }
}

void add_reflector_estimate(FamilySet& families, const std::string& instance, const ReflectorEstimate& estimate,
                            const ProberStatus* prober) {
  if (!estimate.has_baseline) {
    return;
  }
  std::string reflector = reflector_label(estimate.reflector_id, prober);
  auto add_path = [&](const char* path, std::int32_t baseline_us, std::int32_t delta_us) {
    Labels labels = {{"instance", instance}, {"reflector", reflector}, {"path", path}};
    families.gauge("wanctl_reflector_baseline_seconds",
                   "Uncongested delay of a reflector; one-way paths include the reflector's clock offset", labels,
                   us_to_s(baseline_us));
    families.gauge("wanctl_reflector_delay_delta_seconds", "Latest delay of a reflector above its baseline",
                   labels, us_to_s(delta_us));
  };
  add_path("rtt", estimate.baseline_rtt_us, estimate.delta_rtt_us);
  if (estimate.has_owd) {
    add_path("upload", estimate.baseline_up_us, estimate.delta_up_us);
    add_path("download", estimate.baseline_down_us, estimate.delta_down_us);
  }
}

}  // namespace

void add_estimator_metrics(FamilySet& families, const std::string& instance, const EstimatorStatus& status,
                           const ProberStatus* prober) {
  for (int direction = 0; direction < kDirectionCount; ++direction) {
    add_direction(families, instance, direction, status.directions[direction]);
  }

  Labels labels = {{"instance", instance}};
  families.counter("wanctl_decisions_total", "Rate decisions written since the instance first started", labels,
                   static_cast<double>(status.decision_id));
  families.counter("wanctl_samples_used_total", "Samples the estimator used", labels,
                   static_cast<double>(status.samples_used));
  families.counter("wanctl_samples_rejected_total", "Samples rejected as invalid or from an unknown reflector",
                   labels, static_cast<double>(status.samples_rejected));
  families.counter("wanctl_samples_lost_total", "Samples overwritten before the estimator read them", labels,
                   static_cast<double>(status.samples_lost));

  std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
  for (std::uint32_t i = 0; i < count; ++i) {
    add_reflector_estimate(families, instance, status.reflectors[i], prober);
  }
}

void add_prober_metrics(FamilySet& families, const std::string& instance, const ProberStatus& status) {
  Labels labels = {{"instance", instance}};
  families.counter("wanctl_probes_sent_total", "Probes sent", labels, static_cast<double>(status.probes_sent));
  families.counter("wanctl_probe_replies_total", "Probe replies matched", labels,
                   static_cast<double>(status.replies));
  families.counter("wanctl_probe_timeouts_total", "Probes without a reply before the timeout", labels,
                   static_cast<double>(status.timeouts));
  families.counter("wanctl_probe_errors_total", "Probes answered by an ICMP error or failed to send", labels,
                   static_cast<double>(status.errors));
  families.counter("wanctl_probe_duplicates_total", "Second replies to one probe, dropped", labels,
                   static_cast<double>(status.duplicates));
  families.counter("wanctl_probe_late_replies_total", "Replies after the timeout, dropped", labels,
                   static_cast<double>(status.late_replies));
  families.counter("wanctl_reflector_replacements_total", "Reflectors swapped for a spare", labels,
                   static_cast<double>(status.replacements));
  families.counter("wanctl_probe_send_errors_total", "Probes the kernel refused to send", labels,
                   static_cast<double>(status.send_errors));
  families.counter("wanctl_probe_bad_timestamps_total", "Timestamp replies with invalid times", labels,
                   static_cast<double>(status.bad_timestamps));
  families.counter("wanctl_probe_skipped_slots_total", "Probe slots missed after a stall, never sent late", labels,
                   static_cast<double>(status.skipped_slots));
  families.gauge("wanctl_prober_sockets_open", "0 while the interface is missing and the sockets are reopened",
                 labels, status.sockets_open);

  std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
  for (std::uint32_t i = 0; i < count; ++i) {
    const ReflectorHealth& health = status.reflectors[i];
    Labels reflector = {{"instance", instance}, {"reflector", format_address(health.address, health.address_family)}};
    families.gauge("wanctl_reflector_loss_ratio", "Share of a reflector's recent probes without a reply", reflector,
                   health.loss_permille / 1000.0);
    families.gauge("wanctl_reflector_active", "1 while a reflector is probed, 0 while it is a spare", reflector,
                   health.active);
    families.gauge("wanctl_reflector_timestamp_method", "1 while a reflector is probed with ICMP timestamps",
                   reflector, health.method == ProbeMethod::timestamp ? 1.0 : 0.0);
    if (health.median_rtt_us >= 0) {
      families.gauge("wanctl_reflector_median_rtt_seconds", "Median round-trip time over recent replies",
                     reflector, us_to_s(health.median_rtt_us));
    }
  }
}

void add_telemetry_metrics(FamilySet& families, const std::string& instance, const LinkTelemetry& telemetry) {
  Labels labels = {{"instance", instance}};
  families.counter("wanctl_device_writes_total", "Shaper rate writes the device confirmed", labels,
                   static_cast<double>(telemetry.device_writes));
  families.counter("wanctl_device_write_errors_total", "Shaper rate writes that failed", labels,
                   static_cast<double>(telemetry.device_write_errors));

  for (int direction = 0; direction < kDirectionCount; ++direction) {
    const DirectionTelemetry& reading = telemetry.directions[direction];
    Labels with_direction = direction_labels(instance, direction);
    for (DeviceState state : kDeviceStates) {
      Labels with_state = with_direction;
      with_state.push_back({"state", std::string(to_string(state))});
      families.gauge("wanctl_device_state", "1 for the current state of the direction's shaper", with_state,
                     reading.device_state == state ? 1.0 : 0.0);
    }
    if (!reading.valid) {
      continue;  // no reference reading yet: counters and rates mean nothing
    }
    families.gauge("wanctl_achieved_rate_bits_per_second", "Rate the shaper passed over the last interval",
                   with_direction, static_cast<double>(reading.achieved_rate_bps));
    families.gauge("wanctl_applied_rate_bits_per_second", "Shaper rate the device confirmed", with_direction,
                   static_cast<double>(reading.applied_rate_bps));
    families.counter("wanctl_shaper_bytes_total", "Bytes the shaper sent", with_direction,
                     static_cast<double>(reading.bytes_total));
    families.counter("wanctl_shaper_packets_total", "Packets the shaper sent", with_direction,
                     static_cast<double>(reading.packets_total));
    families.counter("wanctl_shaper_drops_total", "Packets the shaper dropped", with_direction,
                     static_cast<double>(reading.drops_total));
    families.counter("wanctl_shaper_ecn_marks_total", "Packets the shaper marked with ECN", with_direction,
                     static_cast<double>(reading.ecn_marks_total));
    families.gauge("wanctl_shaper_backlog_bytes", "Bytes queued in the shaper", with_direction,
                   reading.backlog_bytes);
    if (reading.peak_delay_us >= 0) {
      families.gauge("wanctl_shaper_peak_delay_seconds", "CAKE's peak sojourn delay over all tins",
                     with_direction, us_to_s(reading.peak_delay_us));
    }
  }
}

void add_object_metrics(FamilySet& families, const std::string& instance, ObjectId id, const ObjectFacts& facts,
                        std::int64_t now_ns) {
  Labels labels = {{"instance", instance}, {"object", std::string(to_string(id))}};
  families.gauge("wanctl_object_present", "1 while the shared-memory object exists and is readable", labels,
                 facts.state == ObjectState::ok ? 1.0 : 0.0);
  if (facts.state != ObjectState::ok) {
    return;
  }

  families.gauge("wanctl_producer_epoch", "Producer starts since the object was created", labels,
                 static_cast<double>(facts.epoch));
  families.counter("wanctl_producer_restarts_total", "Producer starts after the first", labels,
                   facts.epoch > 0 ? static_cast<double>(facts.epoch - 1) : 0.0);
  std::int64_t life_ns = facts.last_sign_of_life_ns();
  if (life_ns > 0) {
    families.gauge("wanctl_heartbeat_age_seconds", "Time since the producer's last heartbeat or record", labels,
                   static_cast<double>(now_ns - life_ns) / 1e9);
  }
  if (facts.is_ring) {
    families.counter("wanctl_ring_records_total", "Records written to the ring", labels,
                     static_cast<double>(facts.write_index));
    families.counter("wanctl_ring_overruns_total", "Records the consumer lost because the producer lapped it",
                     labels, static_cast<double>(facts.consumer_lost));
    std::uint64_t lag = facts.write_index >= facts.consumer_index ? facts.write_index - facts.consumer_index : 0;
    families.gauge("wanctl_ring_consumer_lag_records", "Records written but not yet read by the consumer", labels,
                   static_cast<double>(lag));
  }
}

void add_stage_metrics(FamilySet& families, const std::string& instance, const StageHealth& stage) {
  Labels labels = {{"instance", instance}, {"stage", stage.stage}};
  families.gauge("wanctl_stage_up", "1 while the stage's objects exist and its heartbeat is fresh", labels,
                 stage.state == StageState::healthy ? 1.0 : 0.0);
}

}  // namespace wanctl

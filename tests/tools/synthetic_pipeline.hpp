// Writes all five objects of an instance from the test process, the way the
// prober, estimator and actuator would. Three reflectors are probed. A queue
// builds in the download direction between steps 20 and 40 and drains after,
// with the states and rate cuts that go with it. Every value derives from the
// step number, so tests can check what a reader reports against it.
#pragma once

#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string>

#include "latest_block.hpp"
#include "object_name.hpp"
#include "ring.hpp"
#include "unique_name.hpp"

namespace wanctl::test {

inline constexpr int kSyntheticReflectors = 3;

struct SyntheticStep {
  int index;
  std::int32_t queue_us;  // extra download delay at this step
  CongestionState state;  // download state
  std::uint64_t rate_bps; // download rate decided
};

inline SyntheticStep synthetic_step(int index) {
  SyntheticStep step{index, 0, CongestionState::green, 80'000'000};
  if (index >= 20 && index < 40) {
    step.queue_us = (index - 19) * 2000;
  }
  if (step.queue_us >= 30'000) {
    step.state = CongestionState::red;
    step.rate_bps = 50'000'000;
  } else if (step.queue_us >= 10'000) {
    step.state = CongestionState::yellow;
    step.rate_bps = 70'000'000;
  }
  return step;
}

class SyntheticPipeline {
 public:
  explicit SyntheticPipeline(const std::string& instance)
      : instance_(instance),
        cleanups_{std::make_unique<ObjectCleanup>(object_name(instance, "samples")),
                  std::make_unique<ObjectCleanup>(object_name(instance, "decisions")),
                  std::make_unique<ObjectCleanup>(object_name(instance, "status")),
                  std::make_unique<ObjectCleanup>(object_name(instance, "telemetry")),
                  std::make_unique<ObjectCleanup>(object_name(instance, "prober"))} {
    open_all();
  }

  // Publishes one step: a sample per reflector and a new version of every
  // block. Returns the step's values.
  SyntheticStep step(int index, std::int64_t now_ns) {
    SyntheticStep step = synthetic_step(index);
    for (int reflector = 0; reflector < kSyntheticReflectors; ++reflector) {
      ProbeSample record = sample(step, reflector, now_ns);
      record.sample_id = samples_->write_index();
      samples_->push(record);
    }
    decisions_->push(decision(step, now_ns));
    status_->publish(status(step, now_ns));
    if (!stop_actuator_) {
      telemetry_->publish(telemetry(step, now_ns));
    }
    prober_->publish(prober(index, now_ns));
    return step;
  }

  // Stops publishing the actuator's telemetry (its heartbeat goes stale).
  void stop_actuator() { stop_actuator_ = true; }

  // Reopens the prober's objects as a restarted prober would (epoch + 1).
  void restart_prober() {
    samples_.reset();
    prober_.reset();
    samples_ = std::make_unique<RingWriter<ProbeSample>>(
        RingWriter<ProbeSample>::open(object_name(instance_, "samples"), kSamplesCapacity, false));
    prober_ = std::make_unique<BlockWriter<ProberStatus>>(
        BlockWriter<ProberStatus>::open(object_name(instance_, "prober"), false));
  }

  // Publishes a telemetry version confirming decision `decision_id`, applied
  // latency_ns after its cause sample was received.
  void confirm_decision(std::uint64_t decision_id, std::int64_t latency_ns, std::int64_t now_ns) {
    LinkTelemetry record = telemetry(synthetic_step(0), now_ns);
    record.last_applied_decision_id = decision_id;
    record.last_apply_latency_ns = latency_ns;
    telemetry_->publish(record);
  }

  static constexpr std::uint64_t kSamplesCapacity = 64;
  static constexpr std::uint64_t kDecisionsCapacity = 64;

  static std::uint64_t probes_sent(int index) { return static_cast<std::uint64_t>(index + 1) * kSyntheticReflectors; }
  static std::uint64_t drops(int index) { return static_cast<std::uint64_t>(index) * 3; }
  // Baselines in microseconds; one-way ones carry a made-up clock offset.
  static std::int32_t baseline_rtt_us(int reflector) { return 20'000 + reflector * 5'000; }
  static std::int32_t baseline_up_us(int reflector) { return 9'000 + reflector * 2'000 + 500'000; }
  static std::int32_t baseline_down_us(int reflector) { return 11'000 + reflector * 3'000 - 500'000; }

 private:
  void open_all() {
    samples_ = std::make_unique<RingWriter<ProbeSample>>(
        RingWriter<ProbeSample>::open(object_name(instance_, "samples"), kSamplesCapacity, true));
    decisions_ = std::make_unique<RingWriter<RateDecision>>(
        RingWriter<RateDecision>::open(object_name(instance_, "decisions"), kDecisionsCapacity, true));
    status_ = std::make_unique<BlockWriter<EstimatorStatus>>(
        BlockWriter<EstimatorStatus>::open(object_name(instance_, "status"), true));
    telemetry_ = std::make_unique<BlockWriter<LinkTelemetry>>(
        BlockWriter<LinkTelemetry>::open(object_name(instance_, "telemetry"), true));
    prober_ = std::make_unique<BlockWriter<ProberStatus>>(
        BlockWriter<ProberStatus>::open(object_name(instance_, "prober"), true));
  }

  static void set_address(std::uint8_t (&bytes)[16], int reflector) {
    std::memset(bytes, 0, sizeof(bytes));
    bytes[0] = 192;
    bytes[1] = 0;
    bytes[2] = 2;
    bytes[3] = static_cast<std::uint8_t>(10 + reflector);
  }

  ProbeSample sample(const SyntheticStep& step, int reflector, std::int64_t now_ns) const {
    ProbeSample sample{};
    std::int32_t queue_us = step.queue_us;
    sample.send_mono_ns = now_ns - baseline_rtt_us(reflector) * 1000LL - queue_us * 1000LL;
    sample.recv_mono_ns = now_ns;
    sample.rtt_ns = now_ns - sample.send_mono_ns;
    sample.owd_up_us = baseline_up_us(reflector) + (step.index % 3) * 100;
    sample.owd_down_us = baseline_down_us(reflector) + queue_us + (step.index % 2) * 150;
    set_address(sample.reflector_address, reflector);
    sample.reflector_id = static_cast<std::uint16_t>(reflector);
    sample.icmp_sequence = static_cast<std::uint16_t>(step.index);
    sample.status = SampleStatus::reply;
    sample.method = ProbeMethod::timestamp;
    sample.address_family = AF_INET;
    sample.has_owd = 1;
    sample.icmp_type = 14;
    return sample;
  }

  static DirectionDecision download(const SyntheticStep& step) {
    DirectionDecision direction{};
    direction.rate_bps = step.rate_bps;
    direction.achieved_rate_bps = step.rate_bps * 9 / 10;
    direction.delta_us = step.queue_us;
    direction.smoothed_delta_us = step.queue_us * 3 / 4;
    direction.state = step.state;
    direction.apply = 1;
    direction.bufferbloat = step.state == CongestionState::red ? 1 : 0;
    return direction;
  }

  static DirectionDecision upload() {
    DirectionDecision direction{};
    direction.rate_bps = 10'000'000;
    direction.achieved_rate_bps = 2'000'000;
    direction.state = CongestionState::green;
    direction.apply = 1;
    return direction;
  }

  RateDecision decision(const SyntheticStep& step, std::int64_t now_ns) const {
    RateDecision decision{};
    decision.decision_id = static_cast<std::uint64_t>(step.index) + 1;
    decision.time_mono_ns = now_ns;
    decision.cause_sample_id = static_cast<std::uint64_t>(step.index) * kSyntheticReflectors;
    decision.cause_recv_mono_ns = now_ns;
    decision.directions[0] = download(step);
    decision.directions[1] = upload();
    return decision;
  }

  EstimatorStatus status(const SyntheticStep& step, std::int64_t now_ns) const {
    EstimatorStatus status{};
    status.time_mono_ns = now_ns;
    status.decision_id = static_cast<std::uint64_t>(step.index) + 1;
    status.samples_used = probes_sent(step.index);
    status.samples_rejected = 2;
    status.samples_lost = 1;
    status.directions[0] = download(step);
    status.directions[1] = upload();
    status.reflector_count = kSyntheticReflectors;
    for (int reflector = 0; reflector < kSyntheticReflectors; ++reflector) {
      ReflectorEstimate& estimate = status.reflectors[reflector];
      estimate.reflector_id = static_cast<std::uint16_t>(reflector);
      estimate.has_baseline = 1;
      estimate.has_owd = 1;
      estimate.baseline_rtt_us = baseline_rtt_us(reflector);
      estimate.baseline_up_us = baseline_up_us(reflector);
      estimate.baseline_down_us = baseline_down_us(reflector) + step.queue_us / 10;
      estimate.delta_rtt_us = step.queue_us;
      estimate.delta_down_us = step.queue_us;
      estimate.samples = static_cast<std::uint32_t>(step.index + 1);
    }
    std::snprintf(status.last_change_reason, sizeof(status.last_change_reason), "step %d", step.index);
    return status;
  }

  LinkTelemetry telemetry(const SyntheticStep& step, std::int64_t now_ns) const {
    LinkTelemetry telemetry{};
    telemetry.time_mono_ns = now_ns;
    telemetry.interval_ns = 50'000'000;
    telemetry.last_applied_decision_id = static_cast<std::uint64_t>(step.index) + 1;
    telemetry.last_apply_latency_ns = 2'000'000;
    telemetry.device_writes = static_cast<std::uint64_t>(step.index);
    telemetry.device_write_errors = 1;
    for (int d = 0; d < kDirectionCount; ++d) {
      DirectionTelemetry& direction = telemetry.directions[d];
      direction.bytes_total = static_cast<std::uint64_t>(step.index) * 1'000'000;
      direction.packets_total = static_cast<std::uint64_t>(step.index) * 700;
      direction.drops_total = d == 0 ? drops(step.index) : 0;
      direction.achieved_rate_bps = d == 0 ? step.rate_bps * 9 / 10 : 2'000'000;
      direction.applied_rate_bps = d == 0 ? step.rate_bps : 10'000'000;
      direction.backlog_bytes = static_cast<std::uint32_t>(step.queue_us);
      direction.peak_delay_us = step.queue_us;
      direction.average_delay_us = step.queue_us / 2;
      direction.device_state = DeviceState::ok;
      direction.valid = 1;
    }
    std::snprintf(telemetry.last_error, sizeof(telemetry.last_error), "%s", "");
    return telemetry;
  }

  ProberStatus prober(int index, std::int64_t now_ns) const {
    ProberStatus status{};
    status.time_mono_ns = now_ns;
    status.probes_sent = probes_sent(index);
    status.replies = probes_sent(index) - 1;
    status.timeouts = 1;
    status.send_errors = 2;
    status.sockets_open = 1;
    status.reflector_count = kSyntheticReflectors;
    for (int reflector = 0; reflector < kSyntheticReflectors; ++reflector) {
      ReflectorHealth& health = status.reflectors[reflector];
      set_address(health.address, reflector);
      health.address_family = AF_INET;
      health.active = 1;
      health.method = ProbeMethod::timestamp;
      health.probes_sent = static_cast<std::uint32_t>(index + 1);
      health.replies = static_cast<std::uint32_t>(index + 1);
      health.median_rtt_us = baseline_rtt_us(reflector);
      health.loss_permille = reflector == 2 ? 250 : 0;
    }
    std::snprintf(status.last_error, sizeof(status.last_error), "%s", "reflector 192.0.2.12 timed out");
    return status;
  }

  std::string instance_;
  std::unique_ptr<ObjectCleanup> cleanups_[5];
  std::unique_ptr<RingWriter<ProbeSample>> samples_;
  std::unique_ptr<RingWriter<RateDecision>> decisions_;
  std::unique_ptr<BlockWriter<EstimatorStatus>> status_;
  std::unique_ptr<BlockWriter<LinkTelemetry>> telemetry_;
  std::unique_ptr<BlockWriter<ProberStatus>> prober_;
  bool stop_actuator_ = false;
};

}  // namespace wanctl::test

#include "actuator.hpp"

#include <algorithm>
#include <cstring>
#include <thread>

#include "mono_time.hpp"
#include "object_name.hpp"
#include "rate_text.hpp"
#include "service_notify.hpp"

namespace wanctl {
namespace {

constexpr const char* kDirectionNames[kDirectionCount] = {"download", "upload"};
constexpr std::int64_t kNsPerMs = 1'000'000;

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

void copy_text(char (&target)[kReasonChars], const std::string& text) {
  std::size_t length = std::min(text.size(), sizeof(target) - 1);
  std::memcpy(target, text.data(), length);
  target[length] = '\0';
}

}  // namespace

Actuator::Actuator(const WanConfig& config, Shaper& shaper, bool recreate)
    : config_(config),
      shaper_(shaper),
      dry_run_(config.actuator.dry_run),
      feed_(object_name(config.instance, RecordTraits<RateDecision>::object)),
      telemetry_writer_(BlockWriter<LinkTelemetry>::open(object_name(config.instance, RecordTraits<LinkTelemetry>::object),
                                                         recreate)) {
  const ActuatorConfig& actuator = config.actuator;
  WritePolicy policy;
  policy.dead_band_percent = actuator.dead_band_percent;
  policy.min_write_interval_ns = actuator.min_write_interval_ms * kNsPerMs;
  policy.retry_initial_ns = actuator.retry_initial_ms * kNsPerMs;
  policy.retry_max_ns = actuator.retry_max_ms * kNsPerMs;
  for (int direction = 0; direction < kDirectionCount; ++direction) {
    directions_[direction].configured = actuator.directions[direction].has_value();
    directions_[direction].name = kDirectionNames[direction];
    directions_[direction].gate = WriteGate(policy);
  }

  // The previous run's last confirmed decision keeps a restart from applying
  // it, or anything older, a second time.
  if (std::optional<LinkTelemetry> previous = telemetry_writer_.last_published()) {
    restored_decision_id_ = previous->last_applied_decision_id;
    telemetry_.last_applied_decision_id = restored_decision_id_;
  }

  if (dry_run_) {
    spdlog::warn("dry run: decisions are logged, nothing is written to any device");
  }
  std::int64_t now_ns = monotonic_now_ns();
  publish(now_ns);
  last_publish_ns_ = now_ns;
  next_telemetry_ns_ = now_ns + actuator.telemetry_interval_ms * kNsPerMs;
}

void Actuator::run(const std::atomic<bool>& stop) {
  spdlog::info("started; decisions from {}, telemetry every {} ms", feed_.name(),
               config_.actuator.telemetry_interval_ms);
  service::ready(service_status());
  while (!stop.load(std::memory_order_relaxed)) {
    run_once(std::chrono::milliseconds(100));
    // NOTE: a RouterOS request blocks the loop for up to request_timeout_ms
    // times retry_attempts plus the backoffs; with large values that can
    // exceed a systemd WatchdogSec and get the process restarted.
    service::watchdog_ping();
  }
  service::stopping("stopping");
  spdlog::info("stopping; {} device writes confirmed, {} failed, last applied decision {}", telemetry_.device_writes,
               telemetry_.device_write_errors, telemetry_.last_applied_decision_id);
}

void Actuator::run_once(std::chrono::nanoseconds max_wait) {
  std::int64_t now_ns = monotonic_now_ns();
  attach_if_due(now_ns);

  // Sleep until the next decision, telemetry reading, attach attempt or
  // write that a backoff or the write interval holds back.
  std::int64_t wake_ns = std::min(now_ns + max_wait.count(), next_telemetry_ns_);
  if (!feed_.attached()) {
    wake_ns = std::min(wake_ns, next_attach_ns_);
  }
  for (const DirectionState& state : directions_) {
    if (state.pending) {
      wake_ns = std::min(wake_ns, std::max(now_ns, state.gate.next_write_ns()));
    }
  }
  auto timeout = std::chrono::nanoseconds(std::max<std::int64_t>(0, wake_ns - now_ns));

  if (feed_.attached()) {
    std::optional<DecisionBatch> batch = feed_.wait_newest(timeout);
    if (!feed_.attached()) {
      spdlog::info("decisions ring {} was recreated by the estimator; attaching to the new one", feed_.name());
      next_attach_ns_ = 0;
    }
    if (batch) {
      accept(*batch, false);
    }
  } else if (timeout.count() > 0) {
    std::this_thread::sleep_for(timeout);
  }

  now_ns = monotonic_now_ns();
  apply_pending(now_ns);
  if (now_ns >= next_telemetry_ns_) {
    publish(now_ns);
    std::int64_t interval_ns = config_.actuator.telemetry_interval_ms * kNsPerMs;
    next_telemetry_ns_ += interval_ns;
    if (next_telemetry_ns_ <= now_ns) {
      next_telemetry_ns_ = now_ns + interval_ns;  // a slow device made us miss some; do not catch up in a burst
    }
  }
}

void Actuator::attach_if_due(std::int64_t now_ns) {
  if (feed_.attached() || now_ns < next_attach_ns_) {
    return;
  }
  std::string error;
  if (!feed_.try_attach(error)) {
    next_attach_ns_ = now_ns + config_.actuator.attach_retry_ms * kNsPerMs;
    std::string message = "decisions ring " + feed_.name() + " is not available yet (" + error +
                          "); is the estimator running? retrying every " +
                          std::to_string(config_.actuator.attach_retry_ms) + " ms";
    if (attach_log_limiter_.allow(message, MonoClock::now())) {
      spdlog::warn("{}{}", message,
                   attach_log_limiter_.suppressed() > 0
                       ? " (" + std::to_string(attach_log_limiter_.suppressed()) + " repeats suppressed)"
                       : std::string());
    }
    return;
  }

  spdlog::info("attached to decisions ring {}", feed_.name());
  if (std::optional<DecisionBatch> backlog = feed_.drain()) {
    accept(*backlog, true);
  }
  restored_decision_id_ = 0;  // every decision from now on is new
}

void Actuator::accept(const DecisionBatch& batch, bool backlog) {
  const RateDecision& decision = batch.newest;
  std::int64_t age_ns = monotonic_now_ns() - decision.time_mono_ns;

  if (backlog) {
    bool already_applied = restored_decision_id_ != 0 && decision.decision_id <= restored_decision_id_;
    bool stale = age_ns > config_.actuator.decision_max_age_ms * kNsPerMs;
    if (already_applied || stale) {
      spdlog::info("skipped {} decisions queued before start (newest id {}, {} ms old{}); the device keeps its rate "
                   "until a fresh decision arrives",
                   batch.count, decision.decision_id, age_ns / kNsPerMs,
                   already_applied ? ", already applied" : "");
      return;
    }
  }

  for (int direction = 0; direction < kDirectionCount; ++direction) {
    DirectionState& state = directions_[direction];
    if (!state.configured) {
      continue;
    }
    const DirectionDecision& requested = decision.directions[direction];
    if (requested.apply == 0) {
      state.pending.reset();  // monitor-only: published by the estimator, never applied
      continue;
    }
    if (requested.rate_bps == 0) {
      note_error(direction, "decision " + std::to_string(decision.decision_id) + " asks for rate 0 in " + state.name +
                                "; ignored, a shaper rate must be positive");
      continue;
    }
    state.pending = Pending{requested.rate_bps, decision.decision_id, decision.time_mono_ns, decision.cause_recv_mono_ns};
  }
}

void Actuator::apply_pending(std::int64_t now_ns) {
  for (int direction = 0; direction < kDirectionCount; ++direction) {
    if (directions_[direction].pending) {
      apply(direction, now_ns);
    }
  }
}

void Actuator::apply(int direction, std::int64_t now_ns) {
  DirectionState& state = directions_[direction];
  const Pending pending = *state.pending;

  if (now_ns - pending.decision_mono_ns > config_.actuator.decision_max_age_ms * kNsPerMs) {
    spdlog::debug("{}: decision {} is older than {} ms and was not applied", state.name, pending.decision_id,
                  config_.actuator.decision_max_age_ms);
    state.pending.reset();
    return;
  }

  std::optional<std::uint64_t> current = dry_run_ && state.dry_run_rate_bps ? state.dry_run_rate_bps : state.device_rate_bps;
  WriteVerdict verdict = state.gate.check(pending.rate_bps, current, now_ns);
  if (verdict == WriteVerdict::within_dead_band) {
    state.pending.reset();
    return;
  }
  if (verdict != WriteVerdict::write) {
    return;  // a newer decision may replace it before the gate opens
  }

  Direction which = static_cast<Direction>(direction);
  if (dry_run_) {
    spdlog::info("dry run: would set {} from {} to {} (decision {})", shaper_.describe(which), format_rate(current),
                 format_rate(pending.rate_bps), pending.decision_id);
    state.dry_run_rate_bps = pending.rate_bps;
    state.gate.on_success(now_ns);
    state.pending.reset();
    return;
  }

  ShaperWrite write = shaper_.write_rate(which, pending.rate_bps);
  if (write.status == ShaperStatus::ok) {
    spdlog::debug("{}: set {} to {} (decision {})", state.name, shaper_.describe(which),
                  format_rate(write.confirmed_rate_bps), pending.decision_id);
    state.device_rate_bps = write.confirmed_rate_bps;
    state.gate.on_success(now_ns);
    state.pending.reset();
    state.write_failing = false;
    state.unauthorized = false;
    telemetry_.last_applied_decision_id = pending.decision_id;
    telemetry_.last_apply_latency_ns =
        pending.cause_recv_mono_ns > 0 ? write.confirmed_mono_ns - pending.cause_recv_mono_ns : 0;
    ++telemetry_.device_writes;
    set_state(direction, DeviceState::ok, "");
    publish_applied();
    return;
  }

  ++telemetry_.device_write_errors;
  state.gate.on_failure(now_ns);
  switch (write.status) {
    case ShaperStatus::unauthorized:
      state.unauthorized = true;
      state.gate.hold_until(now_ns + config_.actuator.routeros.credential_recheck_s * 1'000'000'000);
      set_state(direction, DeviceState::unauthorized,
                write.error + "; writes stopped, credentials rechecked every " +
                    std::to_string(config_.actuator.routeros.credential_recheck_s) + " s");
      break;
    case ShaperStatus::missing:
      set_state(direction, DeviceState::missing, write.error);
      break;
    default:
      state.write_failing = true;
      set_state(direction, DeviceState::failing,
                write.error + "; retrying in " + std::to_string(state.gate.backoff_ns() / kNsPerMs) + " ms");
      break;
  }
}

void Actuator::read_direction(int direction, std::int64_t now_ns) {
  DirectionState& state = directions_[direction];
  DirectionTelemetry& out = state.telemetry;
  out.valid = 0;
  out.achieved_rate_bps = 0;

  // While credentials are rejected, reads wait for the recheck too: a router
  // may lock out a source that keeps failing to log in.
  if (state.unauthorized && now_ns < state.gate.retry_at_ns()) {
    return;
  }

  Direction which = static_cast<Direction>(direction);
  ShaperReading reading = shaper_.read(which);
  switch (reading.status) {
    case ShaperStatus::ok:
      break;
    case ShaperStatus::missing:
      state.counter.reset();
      state.device_rate_bps.reset();
      set_state(direction, DeviceState::missing, reading.error);
      return;
    case ShaperStatus::unauthorized:
      state.unauthorized = true;
      state.gate.hold_until(now_ns + config_.actuator.routeros.credential_recheck_s * 1'000'000'000);
      set_state(direction, DeviceState::unauthorized,
                reading.error + "; writes stopped, credentials rechecked every " +
                    std::to_string(config_.actuator.routeros.credential_recheck_s) + " s");
      return;
    default:
      set_state(direction, DeviceState::failing, reading.error);
      return;
  }

  if (state.unauthorized || state.state == DeviceState::missing) {
    // The device is back: the newest decision need not wait out the backoff.
    state.unauthorized = false;
    state.gate.clear_backoff();
  }

  if (reading.rate_bps && state.device_rate_bps != reading.rate_bps) {
    if (state.device_rate_bps) {
      spdlog::info("{}: {} is now at {}, was {}; changed outside the actuator", state.name, shaper_.describe(which),
                   format_rate(reading.rate_bps), format_rate(state.device_rate_bps));
    } else {
      spdlog::info("{}: {} is at {}", state.name, shaper_.describe(which), format_rate(reading.rate_bps));
    }
    state.device_rate_bps = reading.rate_bps;
  }

  if (reading.counters) {
    const ShaperCounters& counters = *reading.counters;
    out.bytes_total = counters.bytes;
    out.packets_total = counters.packets;
    out.drops_total = counters.drops;
    out.ecn_marks_total = counters.ecn_marks;
    out.backlog_bytes = counters.backlog_bytes;
    out.backlog_packets = counters.backlog_packets;
    out.peak_delay_us = counters.peak_delay_us;
    out.average_delay_us = counters.average_delay_us;
    if (std::optional<CounterRate::Interval> interval = state.counter.update(counters.bytes, reading.time_mono_ns)) {
      out.achieved_rate_bps = interval->rate_bps;
      out.valid = 1;
    }
  }

  DeviceState healthy = dry_run_ ? DeviceState::dry_run : DeviceState::ok;
  set_state(direction, state.write_failing ? DeviceState::failing : healthy, state.write_failing ? state.error : "");
}

void Actuator::publish(std::int64_t now_ns) {
  for (int direction = 0; direction < kDirectionCount; ++direction) {
    DirectionState& state = directions_[direction];
    if (!state.configured) {
      continue;
    }
    read_direction(direction, now_ns);
    state.telemetry.applied_rate_bps = state.device_rate_bps.value_or(0);
    state.telemetry.device_state = state.state;
    telemetry_.directions[direction] = state.telemetry;
  }

  telemetry_.time_mono_ns = now_ns;
  telemetry_.interval_ns = now_ns - last_publish_ns_;
  last_publish_ns_ = now_ns;
  telemetry_writer_.publish(telemetry_);
}

void Actuator::publish_applied() {
  for (int direction = 0; direction < kDirectionCount; ++direction) {
    const DirectionState& state = directions_[direction];
    if (state.configured) {
      telemetry_.directions[direction].applied_rate_bps = state.device_rate_bps.value_or(0);
      telemetry_.directions[direction].device_state = state.state;
    }
  }
  telemetry_writer_.publish(telemetry_);
}

void Actuator::set_state(int direction, DeviceState new_state, const std::string& error) {
  DirectionState& state = directions_[direction];
  if (!error.empty()) {
    copy_text(telemetry_.last_error, state.name + ": " + error);
  }
  if (new_state == state.state && error == state.error) {
    return;
  }

  DeviceState old_state = state.state;
  state.state = new_state;
  state.error = error;
  state.telemetry.device_state = new_state;
  if (new_state == old_state) {
    note_error(direction, error);  // same state, another cause
    return;
  }

  service::status(service_status());
  Direction which = static_cast<Direction>(direction);
  if (new_state == DeviceState::ok || new_state == DeviceState::dry_run) {
    spdlog::info("{}: {} is {} (was {})", state.name, shaper_.describe(which), to_string(new_state),
                 to_string(old_state));
  } else if (new_state == DeviceState::unauthorized) {
    spdlog::error("{}: {} is {} (was {}): {}", state.name, shaper_.describe(which), to_string(new_state),
                  to_string(old_state), error);
  } else {
    spdlog::warn("{}: {} is {} (was {}): {}", state.name, shaper_.describe(which), to_string(new_state),
                 to_string(old_state), error);
  }
}

std::string Actuator::service_status() const {
  std::string text;
  for (const DirectionState& state : directions_) {
    if (state.configured) {
      text += (text.empty() ? "" : ", ") + state.name + " " + std::string(to_string(state.state));
    }
  }
  return text;
}

void Actuator::note_error(int direction, const std::string& error) {
  if (error.empty()) {
    return;
  }
  DirectionState& state = directions_[direction];
  if (state.log_limiter.allow(error, MonoClock::now())) {
    std::uint64_t suppressed = state.log_limiter.suppressed();
    spdlog::warn("{}: {}{}", state.name, error,
                 suppressed > 0 ? " (" + std::to_string(suppressed) + " repeats suppressed)" : std::string());
  }
}

}  // namespace wanctl

#include "steering_service.hpp"

#include <time.h>

#include <chrono>
#include <system_error>
#include <thread>

#include "mono_time.hpp"
#include "object_name.hpp"
#include "record_fields.hpp"
#include "service_notify.hpp"

namespace wanctl {
namespace {

// At most one info line per WAN about health changes in this time; a signal
// oscillating around a threshold would otherwise log every cycle.
constexpr std::int64_t kHealthLogIntervalNs = 10'000'000'000;

// How often a stale WAN's blocks are checked for having been recreated.
constexpr std::int64_t kReattachIntervalNs = 1'000'000'000;

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* rule_state(bool steered) { return steered ? "active" : "inactive"; }

}  // namespace

SteeringService::SteeringService(const SteeringConfig& config, std::unique_ptr<SteeringAction> action, bool recreate)
    : config_(config),
      action_(std::move(action)),
      inputs_{WanInputs("site.primary", config.primary), WanInputs("site.alternate", config.alternate)},
      core_(config, false),
      history_(config.history_file),
      writer_(BlockWriter<SteeringStatus>::open(object_name(config.site, RecordTraits<SteeringStatus>::object),
                                                recreate)),
      backoff_(config.retry_initial_ms * 1'000'000, config.retry_max_ms * 1'000'000) {
  std::string problem = history_.load();
  if (!problem.empty()) {
    spdlog::warn("{}; starting with an empty history, the file is replaced at the next transition", problem);
  } else if (history_.last_steered()) {
    spdlog::info("history {}: {} transitions, last decision {}", history_.path(), history_.total(),
                 *history_.last_steered() ? "steered to " + config_.alternate : "on " + config_.primary);
  }
  core_.set_steered(history_.last_steered().value_or(false));
}

void SteeringService::run(const std::atomic<bool>& stop) {
  spdlog::info("started: primary {}, alternate {}, action {}, activation {} s, recovery {} s", config_.primary,
               config_.alternate, action_->describe(), config_.activation_s, config_.recovery_s);
  auto interval = std::chrono::milliseconds(config_.interval_ms);
  auto next = MonoClock::now();
  service::ready("steering");
  while (!stop.load(std::memory_order_relaxed)) {
    cycle(monotonic_now_ns());
    service::watchdog_ping();
    next += interval;
    auto now = MonoClock::now();
    if (next < now) {
      next = now;  // a slow device request delayed this cycle; do not catch up in a burst
    }
    std::this_thread::sleep_until(next);
  }
  service::stopping("stopping");
  spdlog::info("stopped; the device keeps its state: {} {}", action_->describe(), rule_state(core_.steered()));
}

void SteeringService::cycle(std::int64_t now_ns) {
  if (!device_known_) {
    adopt_device_state(now_ns);
  }

  WanReadings primary = inputs_[kPrimary].read();
  WanReadings alternate = inputs_[kAlternate].read();
  CoreStep step = core_.step(primary, alternate, now_ns);
  log_health(step, now_ns);

  if (step.verdict.primary_unknown && stale_limiter_.allow("primary unknown", from_mono_ns(now_ns))) {
    spdlog::warn("{}: {}; decision unchanged ({}){}", config_.primary, step.wans[kPrimary].assessment.reason,
                 core_.steered() ? "steered to " + config_.alternate : "on " + config_.primary,
                 stale_limiter_.suppressed() > 0
                     ? " (" + std::to_string(stale_limiter_.suppressed()) + " repeats not logged)"
                     : "");
  }

  if (device_known_) {
    act(step, now_ns);
  }
  reattach_stale_inputs(step, now_ns);
  publish(step, now_ns);
}

void SteeringService::adopt_device_state(std::int64_t now_ns) {
  if (!backoff_.due(now_ns)) {
    return;
  }
  DeviceReading reading = action_->read();
  if (!reading.ok) {
    note_failure("reading the device at start", reading.state, reading.error, now_ns);
    return;
  }

  // A rule present for one address family only was meant to steer; the
  // next verification completes it.
  bool adopted = reading.steered;
  device_known_ = true;
  decision_since_ns_ = now_ns;
  next_verify_ns_ = reading.partial ? now_ns : now_ns + config_.verify_interval_s * 1'000'000'000;
  note_success();
  core_.set_steered(adopted);

  spdlog::info("device: {} is {}{}; adopted as the current decision", action_->describe(), rule_state(adopted),
               reading.partial ? " for one address family only" : "");
  std::optional<bool> remembered = history_.last_steered();
  if (remembered.value_or(false) != adopted) {
    record_transition(adopted, nullptr,
                      std::string("adopted at start: the rule was ") + rule_state(adopted) + " on the device",
                      now_ns);
  }
}

void SteeringService::act(const CoreStep& step, std::int64_t now_ns) {
  bool want = step.verdict.want_steered;

  if (want != core_.steered()) {
    if (!backoff_.due(now_ns)) {
      hold_reason_ = "change pending, waiting to retry after: " + last_error_;
      return;
    }
    if (!apply(want, now_ns)) {
      hold_reason_ = "change pending, the device did not confirm it: " + last_error_;
      return;
    }
    hold_reason_.clear();
    record_transition(want, &step, step.verdict.reason, now_ns);
    spdlog::info("{} latency-sensitive traffic to {} ({} {}): {}", want ? "moved" : "returned",
                 want ? config_.alternate : config_.primary, action_->describe(), rule_state(want),
                 step.verdict.reason);
    return;
  }
  hold_reason_ = step.verdict.reason;

  // After a failure the device may be anywhere; check it at once rather than
  // at the next regular verification.
  if (action_state_ != DeviceState::ok && backoff_.due(now_ns)) {
    next_verify_ns_ = now_ns;
  }
  if (now_ns >= next_verify_ns_) {
    verify_device(now_ns);
  }
}

void SteeringService::verify_device(std::int64_t now_ns) {
  next_verify_ns_ = now_ns + config_.verify_interval_s * 1'000'000'000;
  DeviceReading reading = action_->read();
  if (!reading.ok) {
    note_failure("verifying the device", reading.state, reading.error, now_ns);
    return;
  }
  if (reading.steered == core_.steered() && !reading.partial) {
    note_success();
    return;
  }

  ++external_changes_;
  spdlog::warn("{} was changed outside wanctl: it is {}{}, the decision is {}; setting it back",
               action_->describe(), rule_state(reading.steered), reading.partial ? " for one address family only" : "",
               rule_state(core_.steered()));
  apply(core_.steered(), now_ns);
}

bool SteeringService::apply(bool steered, std::int64_t now_ns) {
  ActionOutcome outcome = action_->apply(steered);
  if (!outcome.ok) {
    note_failure(std::string("making the rule ") + rule_state(steered), outcome.state, outcome.error, now_ns);
    return false;
  }
  action_writes_ += static_cast<std::uint64_t>(outcome.writes);
  note_success();
  core_.set_steered(steered);
  return true;
}

void SteeringService::record_transition(bool steered, const CoreStep* step, const std::string& reason,
                                        std::int64_t now_ns) {
  decision_since_ns_ = now_ns;
  WanHealth primary = step != nullptr ? step->wans[kPrimary].assessment.health : WanHealth::unknown;
  WanHealth alternate = step != nullptr ? step->wans[kAlternate].assessment.health : WanHealth::unknown;
  history_.add(make_transition(unix_now_ms(), steered, primary, alternate, reason));
  service::status(steered ? "steered to " + config_.alternate : "on " + config_.primary);
  try {
    history_.save();
  } catch (const std::system_error& error) {
    if (error_limiter_.allow("history", from_mono_ns(now_ns))) {
      spdlog::error("cannot save the steering history: {}; the transition is kept in memory only", error.what());
    }
  }
}

void SteeringService::note_failure(const std::string& what, DeviceState state, const std::string& error,
                                   std::int64_t now_ns) {
  ++action_errors_;
  action_state_ = state;
  last_error_ = error;
  backoff_.failed(now_ns);
  double retry_s = static_cast<double>(backoff_.next_ns() - now_ns) * 1e-9;
  if (error_limiter_.allow(what + error, from_mono_ns(now_ns))) {
    spdlog::error("{} failed (failure {} in a row, retry in {:.1f} s): {}", what, backoff_.failures(), retry_s, error);
  }
}

void SteeringService::note_success() {
  if (backoff_.failures() > 0) {
    spdlog::info("device reachable again after {} failures: {}", backoff_.failures(), action_->describe());
  }
  backoff_.succeeded();
  action_state_ = DeviceState::ok;
  last_error_.clear();
}

void SteeringService::log_health(const CoreStep& step, std::int64_t now_ns) {
  for (int i = 0; i < 2; ++i) {
    const WanView& view = step.wans[i];
    if (!view.health_changed) {
      continue;
    }
    const std::string& name = inputs_[i].instance();
    if (now_ns - health_logged_ns_[i] < kHealthLogIntervalNs && health_logged_ns_[i] != 0) {
      ++health_unlogged_[i];
      spdlog::debug("{} {} -> {}: {}", name, to_string(view.previous_health), to_string(view.assessment.health),
                    view.assessment.reason);
      continue;
    }
    std::string unlogged = health_unlogged_[i] > 0
                               ? " (" + std::to_string(health_unlogged_[i]) + " earlier changes logged at debug)"
                               : "";
    spdlog::info("{} {} -> {}: {}{}", name, to_string(view.previous_health), to_string(view.assessment.health),
                 view.assessment.reason, unlogged);
    health_logged_ns_[i] = now_ns;
    health_unlogged_[i] = 0;
  }
}

void SteeringService::reattach_stale_inputs(const CoreStep& step, std::int64_t now_ns) {
  if (now_ns < next_reattach_ns_) {
    return;
  }
  next_reattach_ns_ = now_ns + kReattachIntervalNs;
  for (int i = 0; i < 2; ++i) {
    if (step.wans[i].assessment.health != WanHealth::stale) {
      continue;
    }
    std::string problem = inputs_[i].reattach_if_replaced();
    if (!problem.empty() && error_limiter_.allow(problem, from_mono_ns(now_ns))) {
      spdlog::error("{}", problem);
    }
  }
}

void SteeringService::publish(const CoreStep& step, std::int64_t now_ns) {
  SteeringStatus status{};
  status.time_mono_ns = now_ns;
  status.decision_since_ns = decision_since_ns_;
  status.action_writes = action_writes_;
  status.action_errors = action_errors_;
  status.external_changes = external_changes_;
  status.next_retry_ns = backoff_.failures() > 0 ? backoff_.next_ns() : 0;
  status.steered = core_.steered() ? 1 : 0;
  status.wanted_steered = step.verdict.want_steered ? 1 : 0;
  status.action_state = action_state_;
  copy_text(status.hold_reason, device_known_ ? hold_reason_ : "reading the device state before the first decision");
  copy_text(status.last_error, last_error_);

  for (int i = 0; i < 2; ++i) {
    const WanView& view = step.wans[i];
    SteeringWan& wan = status.wans[i];
    copy_text(wan.instance, inputs_[i].instance());
    wan.status_age_ns = view.signals.status_age_ns;
    wan.telemetry_age_ns = view.signals.telemetry_age_ns;
    wan.health_since_ns = view.health_since_ns;
    wan.drop_rate_per_s = view.signals.drop_rate_per_s;
    wan.delay_us = view.signals.delay_us;
    wan.queue_delay_us = view.signals.queue_delay_us;
    wan.backlog_bytes = view.signals.backlog_bytes;
    wan.health = view.assessment.health;
    wan.estimator_state = view.signals.estimator_state;
    wan.reflectors_measured = static_cast<std::uint8_t>(view.signals.reflectors_measured);
    wan.reflectors_delayed = static_cast<std::uint8_t>(view.assessment.reflectors_delayed);
  }
  history_.fill(status);
  writer_.publish(status);
}

}  // namespace wanctl

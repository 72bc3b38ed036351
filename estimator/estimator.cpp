#include "estimator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "record_fields.hpp"
#include "time_weight.hpp"

namespace wanctl::estimator {
namespace {

std::int32_t to_record_us(double value_us) {
  double limited = std::clamp(value_us, static_cast<double>(std::numeric_limits<std::int32_t>::min()),
                              static_cast<double>(std::numeric_limits<std::int32_t>::max()));
  return static_cast<std::int32_t>(std::lround(limited));
}

bool is_cut(RateAction action) {
  return action == RateAction::cut_capacity || action == RateAction::cut_low_load ||
         action == RateAction::cut_delay_only;
}

// Actions whose rate change is published however small it is.
bool always_published(RateAction action) {
  return is_cut(action) || action == RateAction::outage || action == RateAction::soft_red ||
         action == RateAction::clamp || action == RateAction::monitor;
}

std::string format_mbps(std::uint64_t rate_bps) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", static_cast<double>(rate_bps) / 1e6);
  return text;
}

}  // namespace

Estimator::Estimator(const EstimatorConfig& config, int reflector_count)
    : config_(config), reflector_count_(std::clamp(reflector_count, 0, kMaxReflectors)) {
  for (int d = 0; d < kDirectionCount; ++d) {
    directions_[static_cast<std::size_t>(d)].law.reset(config_.directions[static_cast<std::size_t>(d)]);
  }
}

BaselineTiming Estimator::baseline_timing() const {
  return BaselineTiming{config_.baseline_start_s, config_.baseline_fall_s, config_.baseline_rise_s,
                        config_.baseline_reset_after_s};
}

std::array<bool, kDirectionCount> Estimator::baseline_rise_allowed() const {
  // A direction that is bloated while carrying traffic is filling its own
  // queue; its baselines must not climb with it. At low load the delay is
  // the path's own and the baselines follow it.
  std::array<bool, kDirectionCount> allowed{};
  for (int d = 0; d < kDirectionCount; ++d) {
    const DirectionState& direction = directions_[static_cast<std::size_t>(d)];
    bool loaded = !direction.achieved_bps.has_value() ||
                  *direction.achieved_bps >= config_.low_load_share * direction.law.rate_bps();
    allowed[static_cast<std::size_t>(d)] = !(direction.verdict.bloat && loaded);
  }
  return allowed;
}

std::optional<RateDecision> Estimator::on_sample(const ProbeSample& sample) {
  CheckedSample checked;
  last_problem_ = check_sample(sample, reflector_count_, config_.clock_step_ms, checked);
  if (last_problem_ != SampleProblem::none) {
    ++counters_.samples_rejected;
    return std::nullopt;
  }

  ++counters_.samples_used;
  cause_sample_id_ = sample.sample_id;
  cause_recv_mono_ns_ = checked.is_reply ? sample.recv_mono_ns : checked.time_ns;
  next_sample_id_ = sample.sample_id + 1;
  first_event_ns_ = first_event_ns_.value_or(checked.time_ns);
  now_ns_ = std::max(now_ns_, checked.time_ns);
  if (checked.owd_dropped) {
    ++counters_.owd_dropped;
  }

  if (checked.is_reply) {
    apply_sample(checked, sample.reflector_id);
  }
  step_directions();
  step_from_sample_ = true;
  return decide();
}

std::optional<RateDecision> Estimator::on_telemetry(const LinkTelemetry& telemetry) {
  std::array<double, kDirectionCount> max_rate_bps{};
  for (int d = 0; d < kDirectionCount; ++d) {
    max_rate_bps[static_cast<std::size_t>(d)] =
        static_cast<double>(mbps_to_bps(config_.directions[static_cast<std::size_t>(d)].max_rate_mbps));
  }

  std::array<TelemetryResult, kDirectionCount> results = load_.add(telemetry, max_rate_bps, config_.telemetry_stale_s);
  bool rejected = false;
  for (TelemetryResult result : results) {
    rejected = rejected || result == TelemetryResult::rejected || result == TelemetryResult::counter_reset;
  }
  counters_.telemetry_rejected += rejected ? 1 : 0;
  counters_.telemetry_used += rejected ? 0 : 1;

  first_event_ns_ = first_event_ns_.value_or(telemetry.time_mono_ns);
  now_ns_ = std::max(now_ns_, telemetry.time_mono_ns);
  step_directions();
  step_from_sample_ = false;
  return decide();
}

std::optional<RateDecision> Estimator::on_tick(std::int64_t now_ns) {
  first_event_ns_ = first_event_ns_.value_or(now_ns);
  now_ns_ = std::max(now_ns_, now_ns);
  step_directions();
  step_from_sample_ = false;
  return decide();
}

void Estimator::apply_sample(const CheckedSample& sample, std::uint16_t reflector_id) {
  last_reply_ns_ = std::max(last_reply_ns_.value_or(sample.time_ns), sample.time_ns);

  SampleDeltas deltas = reflectors_[reflector_id].update(sample, baseline_rise_allowed(), baseline_timing(),
                                                         config_.clock_step_ms);
  counters_.clock_steps += deltas.clock_step ? 1 : 0;

  for (int d = 0; d < kDirectionCount; ++d) {
    DirectionState& direction = directions_[static_cast<std::size_t>(d)];
    double delta_us = deltas.delta_us[static_cast<std::size_t>(d)];
    direction.detector.add(sample.time_ns, reflector_id, delta_us);
    direction.latest_delta_us = delta_us;
    direction.reflector_delta_us[reflector_id] = delta_us;
    direction.reflector_delta_ns[reflector_id] = sample.time_ns;
    direction.has_reflector_delta[reflector_id] = true;
    smooth(direction, now_ns_);
  }
}

void Estimator::smooth(DirectionState& direction, std::int64_t now_ns) {
  // The lower median of the reflectors' latest deltas: with two reflectors
  // the smaller one, so one reflector's own jump never moves the state.
  std::array<double, kMaxReflectors> fresh_us{};
  std::size_t count = 0;
  for (std::size_t r = 0; r < static_cast<std::size_t>(kMaxReflectors); ++r) {
    if (direction.has_reflector_delta[r] &&
        ns_to_s(now_ns - direction.reflector_delta_ns[r]) <= config_.reflector_fresh_s) {
      fresh_us[count++] = direction.reflector_delta_us[r];
    }
  }
  if (count == 0) {
    return;
  }
  auto middle = fresh_us.begin() + static_cast<std::ptrdiff_t>((count - 1) / 2);
  std::nth_element(fresh_us.begin(), middle, fresh_us.begin() + static_cast<std::ptrdiff_t>(count));
  double median_us = *middle;

  if (!direction.smoothed_ns.has_value()) {
    direction.smoothed_delta_us = median_us;
  } else {
    double weight = time_weight(ns_to_s(now_ns - *direction.smoothed_ns), config_.delta_smoothing_s);
    direction.smoothed_delta_us += (median_us - direction.smoothed_delta_us) * weight;
  }
  direction.smoothed_ns = now_ns;
}

void Estimator::step_directions() {
  std::int64_t quiet_since_ns = last_reply_ns_.value_or(first_event_ns_.value_or(now_ns_));
  double silence_s = ns_to_s(now_ns_ - quiet_since_ns);
  bool stalled = silence_s >= config_.stall_after_s;

  for (int d = 0; d < kDirectionCount; ++d) {
    DirectionState& direction = directions_[static_cast<std::size_t>(d)];
    const DirectionRateConfig& rates = config_.directions[static_cast<std::size_t>(d)];

    direction.verdict = direction.detector.evaluate(now_ns_, config_.bloat_window_s,
                                                    config_.bloat_delta_ms * 1000.0, config_.bloat_share);
    direction.achieved_bps = load_.achieved_bps(d, now_ns_, config_.telemetry_stale_s);

    StateInputs state_inputs;
    state_inputs.now_ns = now_ns_;
    state_inputs.smoothed_delta_us = direction.smoothed_delta_us;
    state_inputs.stalled = stalled;
    if (direction.achieved_bps.has_value()) {
      state_inputs.load_share = *direction.achieved_bps / direction.law.rate_bps();
    }
    CongestionState state = direction.machine.update(state_inputs, config_);

    RateInputs rate_inputs;
    rate_inputs.now_ns = now_ns_;
    rate_inputs.dt_s = direction.law_ns.has_value() ? ns_to_s(now_ns_ - *direction.law_ns) : 0.0;
    rate_inputs.state = state;
    rate_inputs.bloat = direction.verdict.bloat;
    rate_inputs.queue_delta_us =
        direction.verdict.bloat ? direction.verdict.queue_delta_us : direction.smoothed_delta_us;
    rate_inputs.smoothed_delta_us = direction.smoothed_delta_us;
    rate_inputs.achieved_bps = direction.achieved_bps;
    rate_inputs.capacity_bps = load_.peak_bps(d, now_ns_, config_.capacity_window_s);
    rate_inputs.green_held = direction.machine.green_held(now_ns_, config_);
    rate_inputs.silence_s = silence_s;
    direction.last_action = direction.law.step(rate_inputs, rates, config_);
    direction.law_ns = now_ns_;
  }
}

DirectionDecision Estimator::current_decision(int d) const {
  const DirectionState& direction = directions_[static_cast<std::size_t>(d)];
  DirectionDecision decision{};
  decision.rate_bps = static_cast<std::uint64_t>(std::llround(direction.law.rate_bps()));
  decision.achieved_rate_bps =
      direction.achieved_bps.has_value() ? static_cast<std::uint64_t>(std::llround(*direction.achieved_bps)) : 0;
  decision.delta_us = to_record_us(direction.latest_delta_us);
  decision.smoothed_delta_us = to_record_us(direction.smoothed_delta_us);
  decision.state = direction.machine.state();
  decision.apply = config_.directions[static_cast<std::size_t>(d)].monitor_only ? 0 : 1;
  decision.bufferbloat = direction.verdict.bloat ? 1 : 0;
  return decision;
}

std::string Estimator::describe_change(int d, const DirectionDecision& next) const {
  const DirectionState& direction = directions_[static_cast<std::size_t>(d)];
  const DirectionDecision& previous = direction.published;
  std::string text(to_string(static_cast<Direction>(d)));
  text += " ";
  if (has_published_ && previous.state != next.state) {
    text += std::string(to_string(previous.state)) + "->";
  }
  text += std::string(to_string(next.state));
  if (next.bufferbloat != 0) {
    text += " bloat";
  }
  text += " " + format_mbps(next.rate_bps) + " Mbit/s";
  if (direction.last_action != RateAction::none) {
    text += " (" + std::string(to_string(direction.last_action)) + ")";
  }
  char delta[48];
  std::snprintf(delta, sizeof(delta), " delta %.1f ms", next.smoothed_delta_us / 1000.0);
  return text + delta;
}

std::optional<RateDecision> Estimator::decide() {
  std::array<DirectionDecision, kDirectionCount> next{};
  bool changed = !has_published_;
  bool notable = !has_published_;
  std::array<bool, kDirectionCount> direction_changed{};
  for (int d = 0; d < kDirectionCount; ++d) {
    const DirectionState& direction = directions_[static_cast<std::size_t>(d)];
    const DirectionDecision& previous = direction.published;
    DirectionDecision& candidate = next[static_cast<std::size_t>(d)];
    candidate = current_decision(d);

    bool state_changed = candidate.state != previous.state || candidate.bufferbloat != previous.bufferbloat ||
                         candidate.apply != previous.apply;
    bool rate_changed = false;
    if (candidate.rate_bps != previous.rate_bps) {
      double share = std::abs(static_cast<double>(candidate.rate_bps) - static_cast<double>(previous.rate_bps)) /
                     std::max(1.0, static_cast<double>(previous.rate_bps));
      rate_changed = share >= kPublishChangeShare || always_published(direction.last_action);
    }
    bool rate_notable = rate_changed && always_published(direction.last_action);
    direction_changed[static_cast<std::size_t>(d)] = !has_published_ || state_changed || rate_changed;
    changed = changed || state_changed || rate_changed;
    notable = notable || state_changed || rate_notable;
  }

  bool heartbeat_due = ns_to_s(now_ns_ - last_decision_ns_) >= config_.heartbeat_s;
  if (!changed && !heartbeat_due) {
    return std::nullopt;
  }

  RateDecision decision{};
  decision.decision_id = ++decision_id_;
  decision.time_mono_ns = now_ns_;
  decision.cause_sample_id = cause_sample_id_;
  decision.cause_recv_mono_ns = step_from_sample_ ? cause_recv_mono_ns_ : 0;
  decision.heartbeat = changed ? 0 : 1;
  if (changed) {
    std::string reason;
    for (int d = 0; d < kDirectionCount; ++d) {
      if (direction_changed[static_cast<std::size_t>(d)]) {
        reason += (reason.empty() ? "" : "; ") + describe_change(d, next[static_cast<std::size_t>(d)]);
      }
    }
    last_change_reason_ = reason;
    for (int d = 0; d < kDirectionCount; ++d) {
      directions_[static_cast<std::size_t>(d)].published = next[static_cast<std::size_t>(d)];
    }
  }
  for (int d = 0; d < kDirectionCount; ++d) {
    // A heartbeat repeats the decided rate, state and verdict with fresh
    // measurements.
    DirectionDecision& out = decision.directions[d];
    out = directions_[static_cast<std::size_t>(d)].published;
    out.achieved_rate_bps = next[static_cast<std::size_t>(d)].achieved_rate_bps;
    out.delta_us = next[static_cast<std::size_t>(d)].delta_us;
    out.smoothed_delta_us = next[static_cast<std::size_t>(d)].smoothed_delta_us;
  }

  has_published_ = true;
  last_decision_ns_ = now_ns_;
  last_notable_ = notable;
  ++counters_.decisions;
  return decision;
}

EstimatorStatus Estimator::status() const {
  EstimatorStatus status{};
  status.time_mono_ns = now_ns_;
  status.decision_id = decision_id_;
  status.next_sample_id = next_sample_id_;
  status.samples_used = counters_.samples_used;
  status.samples_rejected = counters_.samples_rejected;
  status.samples_lost = counters_.samples_lost;
  status.samples_skipped = counters_.samples_skipped;
  status.telemetry_rejected = counters_.telemetry_rejected;
  for (int d = 0; d < kDirectionCount; ++d) {
    status.directions[d] = current_decision(d);
  }

  std::uint32_t count = 0;
  for (int r = 0; r < reflector_count_; ++r) {
    const ReflectorTracker& tracker = reflectors_[static_cast<std::size_t>(r)];
    if (tracker.seen()) {
      tracker.describe(static_cast<std::uint16_t>(r), now_ns_, config_.baseline_reset_after_s,
                       status.reflectors[count++]);
    }
  }
  status.reflector_count = count;

  std::size_t length = std::min(last_change_reason_.size(), sizeof(status.last_change_reason) - 1);
  std::memcpy(status.last_change_reason, last_change_reason_.data(), length);
  return status;
}

void Estimator::restore(const EstimatorStatus& status, bool trust_baselines) {
  decision_id_ = status.decision_id;
  next_sample_id_ = status.next_sample_id;
  counters_.samples_used = status.samples_used;
  counters_.samples_rejected = status.samples_rejected;
  counters_.samples_lost = status.samples_lost;
  counters_.samples_skipped = status.samples_skipped;
  counters_.telemetry_rejected = status.telemetry_rejected;
  last_change_reason_.assign(status.last_change_reason,
                             ::strnlen(status.last_change_reason, sizeof(status.last_change_reason)));

  for (int d = 0; d < kDirectionCount; ++d) {
    DirectionState& direction = directions_[static_cast<std::size_t>(d)];
    const DirectionDecision& saved = status.directions[d];
    direction.law.restore(static_cast<double>(saved.rate_bps), config_.directions[static_cast<std::size_t>(d)]);
    direction.machine.restore(saved.state);
    direction.smoothed_delta_us = saved.smoothed_delta_us;
    direction.latest_delta_us = saved.delta_us;
  }

  if (!trust_baselines) {
    return;
  }
  std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
  for (std::uint32_t i = 0; i < count; ++i) {
    const ReflectorEstimate& estimate = status.reflectors[i];
    if (estimate.reflector_id < reflector_count_) {
      reflectors_[estimate.reflector_id].restore(estimate);
    }
  }
}

void Estimator::reconfigure(const EstimatorConfig& config, int reflector_count) {
  config_ = config;
  reflector_count_ = std::clamp(reflector_count, 0, kMaxReflectors);
  for (int r = reflector_count_; r < kMaxReflectors; ++r) {
    reflectors_[static_cast<std::size_t>(r)] = ReflectorTracker();
  }
  for (int d = 0; d < kDirectionCount; ++d) {
    DirectionState& direction = directions_[static_cast<std::size_t>(d)];
    direction.law.retune(config_.directions[static_cast<std::size_t>(d)]);
  }
}

}  // namespace wanctl::estimator

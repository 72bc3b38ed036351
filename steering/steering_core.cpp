#include "steering_core.hpp"

namespace wanctl {

SteeringCore::SteeringCore(const SteeringConfig& config, bool steered)
    : thresholds_(config.thresholds),
      stale_after_ns_(config.stale_after_ms * 1'000'000),
      trackers_{SignalTracker(config.thresholds.drop_rate_tau_s, std::chrono::milliseconds(config.stale_after_ms)),
                SignalTracker(config.thresholds.drop_rate_tau_s, std::chrono::milliseconds(config.stale_after_ms))},
      decider_(DeciderTimes{seconds_to_ns(config.activation_s), seconds_to_ns(config.recovery_s)}, config.primary,
               config.alternate, steered) {}

CoreStep SteeringCore::step(const WanReadings& primary, const WanReadings& alternate, std::int64_t now_ns) {
  CoreStep result;
  const WanReadings* readings[2] = {&primary, &alternate};

  for (int i = 0; i < 2; ++i) {
    WanView& view = result.wans[i];
    view.signals = trackers_[i].update(*readings[i], now_ns);
    view.assessment = assess(view.signals, thresholds_, stale_after_ns_);

    view.previous_health = health_[i];
    if (view.assessment.health != health_[i]) {
      health_[i] = view.assessment.health;
      health_since_ns_[i] = now_ns;
      view.health_changed = true;
    }
    view.health_since_ns = health_since_ns_[i];
  }

  result.verdict = decider_.evaluate(result.wans[kPrimary].assessment, result.wans[kAlternate].assessment, now_ns);
  return result;
}

}  // namespace wanctl

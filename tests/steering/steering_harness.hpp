// Drives SteeringCore through blocks published by the test itself, on a
// clock the test advances: every tick publishes both WANs' blocks and runs
// one step, and a wanted change is confirmed at once, as a device would.
#pragma once

#include <optional>
#include <vector>

#include "mono_time.hpp"
#include "steering_config.hpp"
#include "steering_core.hpp"
#include "wan_blocks.hpp"
#include "wan_inputs.hpp"

namespace wanctl::test {

inline constexpr std::int64_t kTickNs = 100'000'000;  // 10 samples per second, as the estimator's status

// A congested WAN: delay high on every reflector, CAKE dropping and
// queueing. `drops_total` grows by 20 per tick (200 drops/s).
inline WanSample congested(std::uint64_t tick) {
  WanSample sample;
  sample.delay_ms = 60.0;
  sample.state = CongestionState::red;
  sample.drops_total = 20 * tick;
  sample.queue_delay_us = 8000;
  sample.reflectors_delayed = sample.reflectors;
  return sample;
}

inline WanSample healthy() { return WanSample{}; }

struct Transition {
  std::int64_t time_ns;
  bool steered;
  std::string reason;
};

class SteeringHarness {
 public:
  explicit SteeringHarness(SteeringConfig config = {})
      : primary_(unique_instance("primary")), alternate_(unique_instance("alternate")),
        config_(configure(std::move(config))), now_ns_(monotonic_now_ns()) {
    primary_.publish(healthy(), now_ns_);
    alternate_.publish(healthy(), now_ns_);
    inputs_.emplace_back("site.primary", primary_.instance());
    inputs_.emplace_back("site.alternate", alternate_.instance());
    core_.emplace(config_, false);
  }

  // Advances the clock one tick, publishes the samples (none for a WAN given
  // std::nullopt, so it goes stale) and runs one step.
  CoreStep tick(const std::optional<WanSample>& primary, const std::optional<WanSample>& alternate) {
    now_ns_ += kTickNs;
    ++ticks_;
    if (primary) {
      primary_.publish(*primary, now_ns_);
    }
    if (alternate) {
      alternate_.publish(*alternate, now_ns_);
    }
    CoreStep step = core_->step(inputs_[0].read(), inputs_[1].read(), now_ns_);
    if (step.verdict.change && confirm_changes_) {
      core_->set_steered(step.verdict.want_steered);
      transitions_.push_back({now_ns_, step.verdict.want_steered, step.verdict.reason});
    }
    return step;
  }

  // Runs ticks for `seconds` with samples made from the tick number.
  template <typename PrimaryFn, typename AlternateFn>
  CoreStep run(double seconds, PrimaryFn primary, AlternateFn alternate) {
    CoreStep step;
    auto count = static_cast<std::int64_t>(seconds * 1e9 / static_cast<double>(kTickNs) + 0.5);
    for (std::int64_t i = 0; i < count; ++i) {
      step = tick(primary(ticks_ + 1), alternate(ticks_ + 1));
    }
    return step;
  }

  void set_confirm_changes(bool confirm) { confirm_changes_ = confirm; }
  bool steered() const { return core_->steered(); }
  std::int64_t now_ns() const { return now_ns_; }
  std::uint64_t ticks() const { return ticks_; }
  const std::vector<Transition>& transitions() const { return transitions_; }

 private:
  SteeringConfig configure(SteeringConfig config) {
    config.site = "site";
    config.primary = primary_.instance();
    config.alternate = alternate_.instance();
    return config;
  }

  WanBlocks primary_;
  WanBlocks alternate_;
  SteeringConfig config_;
  std::int64_t now_ns_;
  std::uint64_t ticks_ = 0;
  std::vector<WanInputs> inputs_;
  std::optional<SteeringCore> core_;
  bool confirm_changes_ = true;
  std::vector<Transition> transitions_;
};

}  // namespace wanctl::test

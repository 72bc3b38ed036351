// Assessment and hysteresis together, from blocks this test publishes, on a
// clock it advances: 10 samples per second, default thresholds, activation
// 4 s, recovery 30 s.
#include <doctest/doctest.h>

#include "steering_harness.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

constexpr double kActivationSeconds = 4.0;
constexpr double kRecoverySeconds = 30.0;

std::optional<WanSample> always_healthy(std::uint64_t) { return healthy(); }
std::optional<WanSample> always_congested(std::uint64_t tick) { return congested(tick); }

// Congests the primary until it is steered away, then returns the time it
// took; fails the test when it never happens within `limit_s`.
void steer_away(SteeringHarness& harness, double limit_s = 10.0) {
  for (int i = 0; i < static_cast<int>(limit_s * 10) && !harness.steered(); ++i) {
    harness.tick(congested(harness.ticks() + 1), healthy());
  }
  REQUIRE(harness.steered());
}

}  // namespace

TEST_CASE("steers within activation time plus one sample") {
  SteeringHarness harness;
  harness.run(5.0, always_healthy, always_healthy);
  REQUIRE_FALSE(harness.steered());

  std::int64_t congestion_start_ns = harness.now_ns() + kTickNs;
  CoreStep first = harness.tick(congested(harness.ticks() + 1), healthy());
  CHECK(first.wans[kPrimary].assessment.health == WanHealth::red);
  harness.run(kActivationSeconds + 1.0, always_congested, always_healthy);

  REQUIRE(harness.transitions().size() == 1);
  const Transition& transition = harness.transitions()[0];
  CHECK(transition.steered);
  double after_s = static_cast<double>(transition.time_ns - congestion_start_ns) * 1e-9;
  CHECK(after_s >= kActivationSeconds - 1e-6);
  CHECK(after_s <= kActivationSeconds + 0.1 + 1e-6);
  CHECK(transition.reason.find("RED for 4.0 s") != std::string::npos);
  CHECK(transition.reason.find("GREEN") != std::string::npos);
}

TEST_CASE("one delayed reflector never steers") {
  SteeringHarness harness;
  auto delayed = [](std::uint64_t) -> std::optional<WanSample> {
    WanSample sample;
    sample.delay_ms = 90.0;  // one misbehaving reflector of four while the link itself is idle
    sample.state = CongestionState::red;
    sample.reflectors_delayed = 1;
    return sample;
  };
  CoreStep step = harness.run(60.0, delayed, always_healthy);
  CHECK(step.wans[kPrimary].assessment.health == WanHealth::yellow);
  CHECK(step.wans[kPrimary].assessment.reason.find("1/4 reflectors") != std::string::npos);
  CHECK_FALSE(harness.steered());
  CHECK(harness.transitions().empty());
}

TEST_CASE("delay on every reflector steers without a local queue") {
  // Congestion upstream of the shaper: the path's delay rises, the local
  // queue stays empty and CAKE drops nothing.
  SteeringHarness harness;
  auto upstream = [](std::uint64_t) -> std::optional<WanSample> {
    WanSample sample;
    sample.delay_ms = 60.0;
    sample.state = CongestionState::soft_red;
    sample.reflectors_delayed = 4;
    return sample;
  };
  std::int64_t start_ns = harness.now_ns() + kTickNs;
  CoreStep first = harness.tick(upstream(1), healthy());
  CHECK(first.wans[kPrimary].assessment.health == WanHealth::red);
  harness.run(kActivationSeconds + 0.5, upstream, always_healthy);
  REQUIRE(harness.transitions().size() == 1);
  double after_s = static_cast<double>(harness.transitions()[0].time_ns - start_ns) * 1e-9;
  CHECK(after_s <= kActivationSeconds + 0.1 + 1e-6);
}

TEST_CASE("drops alone never steer") {
  SteeringHarness harness;
  auto dropping = [](std::uint64_t tick) -> std::optional<WanSample> {
    WanSample sample;
    sample.drops_total = 50 * tick;   // a bulk flow pushing against the shaper
    sample.queue_delay_us = 9000;     // with a standing queue, but delay stays low
    sample.delay_ms = 4.0;
    return sample;
  };
  CoreStep step = harness.run(60.0, dropping, always_healthy);
  CHECK(step.wans[kPrimary].assessment.health == WanHealth::green);
  CHECK(step.wans[kPrimary].signals.drop_rate_per_s > 100.0);
  CHECK_FALSE(harness.steered());
}

TEST_CASE("red spells shorter than activation never steer") {
  SteeringHarness harness;
  // 3 s congested, 1 s healthy, for two minutes.
  auto flapping = [](std::uint64_t tick) -> std::optional<WanSample> {
    return tick % 40 < 30 ? congested(tick) : healthy();
  };
  harness.run(120.0, flapping, always_healthy);
  CHECK_FALSE(harness.steered());
  CHECK(harness.transitions().empty());
}

TEST_CASE("delay oscillating around the red threshold never steers") {
  SteeringHarness harness;
  // 29 and 31 ms in turns, with drops all along: RED lasts one sample at a time.
  auto oscillating = [](std::uint64_t tick) -> std::optional<WanSample> {
    WanSample sample = congested(tick);
    sample.delay_ms = tick % 2 == 0 ? 31.0 : 29.0;
    return sample;
  };
  harness.run(120.0, oscillating, always_healthy);
  CHECK_FALSE(harness.steered());
}

TEST_CASE("oscillating primary does not pull traffic back") {
  SteeringHarness harness;
  steer_away(harness);

  // GREEN for 20 s, YELLOW for 2 s, repeated: never GREEN for the 30 s recovery.
  auto recovering = [](std::uint64_t tick) -> std::optional<WanSample> {
    WanSample sample;
    sample.delay_ms = tick % 220 < 200 ? 2.0 : 20.0;
    return sample;
  };
  harness.run(300.0, recovering, always_healthy);
  CHECK(harness.steered());
  CHECK(harness.transitions().size() == 1);
}

TEST_CASE("returns after the recovery time and not before") {
  SteeringHarness harness;
  steer_away(harness);

  std::int64_t green_start_ns = harness.now_ns() + kTickNs;
  harness.run(kRecoverySeconds - 0.2, always_healthy, always_healthy);
  CHECK(harness.steered());
  harness.run(0.5, always_healthy, always_healthy);
  CHECK_FALSE(harness.steered());

  REQUIRE(harness.transitions().size() == 2);
  double after_s = static_cast<double>(harness.transitions()[1].time_ns - green_start_ns) * 1e-9;
  CHECK(after_s >= kRecoverySeconds - 1e-6);
  CHECK(after_s <= kRecoverySeconds + 0.1 + 1e-6);
  CHECK(harness.transitions()[1].reason.find("GREEN for 30.0 s") != std::string::npos);
}

TEST_CASE("never steers onto a congested alternate") {
  SteeringHarness harness;
  CoreStep step = harness.run(20.0, always_congested, always_congested);
  CHECK_FALSE(harness.steered());
  CHECK(step.wans[kAlternate].assessment.health == WanHealth::red);
  CHECK(step.verdict.reason.find("not steering onto it") != std::string::npos);

  // The primary has been RED far longer than the activation time, so the
  // first GREEN sample of the alternate is enough.
  harness.tick(congested(harness.ticks() + 1), healthy());
  CHECK(harness.steered());
}

TEST_CASE("never steers onto a yellow alternate") {
  SteeringHarness harness;
  auto yellow = [](std::uint64_t) -> std::optional<WanSample> {
    WanSample sample;
    sample.delay_ms = 20.0;
    return sample;
  };
  CoreStep step = harness.run(20.0, always_congested, yellow);
  CHECK(step.wans[kAlternate].assessment.health == WanHealth::yellow);
  CHECK_FALSE(harness.steered());
}

TEST_CASE("never steers onto a stale alternate") {
  SteeringHarness harness;
  auto silent = [](std::uint64_t) -> std::optional<WanSample> { return std::nullopt; };
  CoreStep step = harness.run(20.0, always_congested, silent);
  CHECK(step.wans[kAlternate].assessment.health == WanHealth::stale);
  CHECK(step.wans[kAlternate].assessment.reason.find("old (limit 3.0 s)") != std::string::npos);
  CHECK_FALSE(harness.steered());
}

TEST_CASE("never steers onto a stalled alternate") {
  SteeringHarness harness;
  auto stalled = [](std::uint64_t) -> std::optional<WanSample> {
    WanSample sample;
    sample.state = CongestionState::stall;
    return sample;
  };
  CoreStep step = harness.run(20.0, always_congested, stalled);
  CHECK(step.wans[kAlternate].assessment.health == WanHealth::stalled);
  CHECK_FALSE(harness.steered());
}

TEST_CASE("stale primary holds the decision with a warning") {
  SteeringHarness harness;
  auto silent = [](std::uint64_t) -> std::optional<WanSample> { return std::nullopt; };

  CoreStep step = harness.run(60.0, silent, always_healthy);
  CHECK(step.wans[kPrimary].assessment.health == WanHealth::stale);
  CHECK(step.verdict.primary_unknown);
  CHECK_FALSE(harness.steered());

  steer_away(harness);
  step = harness.run(60.0, silent, always_healthy);
  CHECK(step.verdict.primary_unknown);
  CHECK(step.verdict.reason.find("holding") != std::string::npos);
  CHECK(harness.steered());
  CHECK(harness.transitions().size() == 1);
}

TEST_CASE("stale spell restarts the activation time") {
  SteeringConfig config;
  config.stale_after_ms = 1000;
  SteeringHarness harness(config);
  auto silent = [](std::uint64_t) -> std::optional<WanSample> { return std::nullopt; };

  // 2 s congested, then silent: the last reading counts for 1 s, then the
  // primary is stale for 0.5 s. Congested again for 3 s: 6 s of RED in all,
  // but never 4 s in one piece.
  harness.run(2.0, always_congested, always_healthy);
  harness.run(1.5, silent, always_healthy);
  harness.run(3.0, always_congested, always_healthy);
  CHECK_FALSE(harness.steered());
  harness.run(1.1, always_congested, always_healthy);
  CHECK(harness.steered());
}

TEST_CASE("returns when the alternate degrades") {
  SteeringHarness harness;
  steer_away(harness);

  auto yellow = [](std::uint64_t) -> std::optional<WanSample> {
    WanSample sample;
    sample.delay_ms = 20.0;
    return sample;
  };
  harness.run(3.5, yellow, always_congested);
  CHECK(harness.steered());
  harness.run(1.0, yellow, always_congested);
  CHECK_FALSE(harness.steered());
  REQUIRE(harness.transitions().size() == 2);
  CHECK(harness.transitions()[1].reason.find("is healthier") != std::string::npos);
}

TEST_CASE("stays while both WANs are congested") {
  SteeringHarness harness;
  steer_away(harness);
  harness.run(60.0, always_congested, always_congested);
  CHECK(harness.steered());
}

TEST_CASE("unconfirmed change is wanted again") {
  SteeringHarness harness;
  harness.set_confirm_changes(false);
  CoreStep step = harness.run(kActivationSeconds + 0.5, always_congested, always_healthy);
  CHECK(step.verdict.change);
  CHECK(step.verdict.want_steered);
  CHECK_FALSE(harness.steered());

  step = harness.tick(congested(harness.ticks() + 1), healthy());
  CHECK(step.verdict.change);
  CHECK_FALSE(harness.steered());
}

TEST_CASE("behaviour in time does not depend on the sample rate") {
  // The same 4 s activation at 10 and at 2 samples per second: the second
  // steers within one of its own (longer) samples after the activation time.
  SteeringHarness harness;
  std::int64_t start_ns = harness.now_ns() + kTickNs;
  for (int i = 0; i < 100 && !harness.steered(); ++i) {
    // 5 ticks per sample: publish once, then let four ticks pass silently.
    std::uint64_t tick = harness.ticks() + 1;
    harness.tick(congested(tick), healthy());
    for (int k = 0; k < 4 && !harness.steered(); ++k) {
      harness.tick(std::nullopt, healthy());
    }
  }
  REQUIRE(harness.steered());
  double after_s = static_cast<double>(harness.transitions()[0].time_ns - start_ns) * 1e-9;
  CHECK(after_s >= kActivationSeconds - 1e-6);
  CHECK(after_s <= kActivationSeconds + 0.5 + 1e-6);
}

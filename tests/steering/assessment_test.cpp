// The assessment's combination of signals and the drop rate behind it.
#include <doctest/doctest.h>

#include "assessment.hpp"
#include "drop_rate.hpp"

using namespace wanctl;

namespace {

constexpr std::int64_t kStaleAfterNs = 3'000'000'000;

WanSignals fresh_signals(double delay_ms, double drops_per_s, std::int32_t queue_delay_us, int reflectors = 0,
                         int reflectors_delayed = 0) {
  WanSignals signals;
  signals.has_status = true;
  signals.has_telemetry = true;
  signals.status_age_ns = 100'000'000;
  signals.telemetry_age_ns = 100'000'000;
  signals.fresh = true;
  signals.delay_us = static_cast<std::int32_t>(delay_ms * 1000);
  signals.drop_rate_per_s = drops_per_s;
  signals.queue_delay_us = queue_delay_us;
  signals.reflectors_measured = reflectors;
  for (int r = 0; r < reflectors; ++r) {
    signals.reflector_delta_us[r] = r < reflectors_delayed ? static_cast<std::int32_t>(2000 * delay_ms) : 500;
  }
  return signals;
}

LinkTelemetry telemetry_at(std::int64_t time_ns, std::uint64_t download_drops, std::uint64_t upload_drops) {
  LinkTelemetry telemetry{};
  telemetry.time_mono_ns = time_ns;
  telemetry.directions[0].valid = 1;
  telemetry.directions[0].drops_total = download_drops;
  telemetry.directions[1].valid = 1;
  telemetry.directions[1].drops_total = upload_drops;
  return telemetry;
}

}  // namespace

TEST_CASE("assessment needs delay and a second signal for RED") {
  SteeringThresholds thresholds;  // yellow 15 ms, red 30 ms, 1 drop/s, queue 5 ms
  struct Case {
    double delay_ms;
    double drops_per_s;
    std::int32_t queue_delay_us;
    WanHealth expected;
  };
  const Case cases[] = {
      {2.0, 0.0, 500, WanHealth::green},
      {2.0, 50.0, 9000, WanHealth::green},   // the shaper at work: drops and queue, no delay
      {14.9, 0.0, 500, WanHealth::green},
      {15.0, 0.0, 500, WanHealth::yellow},
      {80.0, 0.0, 500, WanHealth::yellow},   // delay alone
      {80.0, 0.5, 4000, WanHealth::yellow},  // both second signals below their thresholds
      {30.0, 1.0, 500, WanHealth::red},      // delay with drops
      {30.0, 0.0, 5000, WanHealth::red},     // delay with a standing queue
      {29.9, 10.0, 9000, WanHealth::yellow},
  };
  for (const Case& c : cases) {
    CAPTURE(c.delay_ms);
    CAPTURE(c.drops_per_s);
    CAPTURE(c.queue_delay_us);
    Assessment assessment = assess(fresh_signals(c.delay_ms, c.drops_per_s, c.queue_delay_us), thresholds, kStaleAfterNs);
    CHECK(assessment.health == c.expected);
  }
}

TEST_CASE("assessment uses backlog when the shaper reports no delay") {
  SteeringThresholds thresholds;  // 30 kB
  WanSignals signals = fresh_signals(40.0, 0.0, -1);
  signals.backlog_bytes = 29'000;
  CHECK(assess(signals, thresholds, kStaleAfterNs).health == WanHealth::yellow);
  signals.backlog_bytes = 30'000;
  Assessment red = assess(signals, thresholds, kStaleAfterNs);
  CHECK(red.health == WanHealth::red);
  CHECK(red.reason == "delay 40.0 ms, 0/0 reflectors, 0.0 drops/s, backlog 30 kB");
}

TEST_CASE("assessment counts agreeing reflectors as confirmation") {
  SteeringThresholds thresholds;  // share 0.6, at least two
  struct Case {
    int reflectors;
    int delayed;
    WanHealth expected;
  };
  const Case cases[] = {
      {4, 4, WanHealth::red},    {4, 3, WanHealth::red},    {4, 2, WanHealth::yellow},
      {3, 2, WanHealth::red},    {3, 1, WanHealth::yellow}, {2, 2, WanHealth::red},
      {2, 1, WanHealth::yellow}, {1, 1, WanHealth::yellow}, {0, 0, WanHealth::yellow},
  };
  for (const Case& c : cases) {
    CAPTURE(c.reflectors);
    CAPTURE(c.delayed);
    Assessment assessment = assess(fresh_signals(50.0, 0.0, 500, c.reflectors, c.delayed), thresholds, kStaleAfterNs);
    CHECK(assessment.health == c.expected);
    CHECK(assessment.reflectors_delayed == c.delayed);
  }

  // Reflectors agree, but the smoothed delay is below the RED threshold.
  CHECK(assess(fresh_signals(20.0, 0.0, 500, 4, 4), thresholds, kStaleAfterNs).health == WanHealth::yellow);
}

TEST_CASE("assessment reports the estimator's own verdict as YELLOW") {
  WanSignals signals = fresh_signals(5.0, 0.0, 500);
  signals.estimator_state = CongestionState::soft_red;
  Assessment assessment = assess(signals, SteeringThresholds{}, kStaleAfterNs);
  CHECK(assessment.health == WanHealth::yellow);
  CHECK(assessment.reason.find("estimator state SOFT_RED") != std::string::npos);
}

TEST_CASE("assessment of missing, old and stalled data") {
  SteeringThresholds thresholds;
  WanSignals none;
  Assessment missing = assess(none, thresholds, kStaleAfterNs);
  CHECK(missing.health == WanHealth::stale);
  CHECK(missing.reason == "no estimator status published yet");

  WanSignals old = fresh_signals(2.0, 0.0, 500);
  old.fresh = false;
  old.telemetry_age_ns = 4'500'000'000;
  Assessment stale = assess(old, thresholds, kStaleAfterNs);
  CHECK(stale.health == WanHealth::stale);
  CHECK(stale.reason == "actuator telemetry 4.5 s old (limit 3.0 s)");

  WanSignals stall = fresh_signals(0.0, 0.0, 500);
  stall.estimator_state = CongestionState::stall;
  CHECK(assess(stall, thresholds, kStaleAfterNs).health == WanHealth::stalled);
}

TEST_CASE("drop rate starts from a reference reading") {
  DropRate rate(1.0);
  // Counters since boot: 1,000,000 drops must not count as one interval's.
  rate.add(telemetry_at(1'000'000'000, 1'000'000, 0), 1, 1);
  CHECK_FALSE(rate.known());
  CHECK(rate.rate_per_s() == 0.0);

  rate.add(telemetry_at(1'100'000'000, 1'000'000, 0), 2, 1);
  CHECK(rate.known());
  CHECK(rate.rate_per_s() == 0.0);
}

TEST_CASE("drop rate ignores a counter that goes backwards") {
  DropRate rate(1.0);
  rate.add(telemetry_at(0, 5000, 100), 1, 1);
  rate.add(telemetry_at(100'000'000, 10, 0), 2, 1);  // qdisc replaced: counters restart
  CHECK(rate.known());
  CHECK(rate.rate_per_s() == 0.0);
  rate.add(telemetry_at(200'000'000, 30, 0), 3, 1);  // 20 drops in 0.1 s from the new reference
  CHECK(rate.rate_per_s() > 0.0);
  CHECK(rate.rate_per_s() < 200.0);
}

TEST_CASE("drop rate restarts with a new producer epoch") {
  DropRate rate(1.0);
  rate.add(telemetry_at(0, 0, 0), 1, 1);
  rate.add(telemetry_at(100'000'000, 100, 0), 2, 1);
  CHECK(rate.rate_per_s() > 0.0);
  rate.add(telemetry_at(200'000'000, 5'000'000, 0), 1, 2);  // restarted actuator, counters of another qdisc
  CHECK_FALSE(rate.known());
  CHECK(rate.rate_per_s() == 0.0);
}

TEST_CASE("drop rate ignores a reading seen before") {
  DropRate rate(1.0);
  rate.add(telemetry_at(0, 0, 0), 1, 1);
  rate.add(telemetry_at(100'000'000, 100, 0), 2, 1);
  double first = rate.rate_per_s();
  rate.add(telemetry_at(100'000'000, 100, 0), 2, 1);
  CHECK(rate.rate_per_s() == first);
}

TEST_CASE("drop rate depends on time, not on the reading interval") {
  // 100 drops per second for 5 s, read every 50 ms and every 500 ms.
  for (std::int64_t interval_ms : {50, 500}) {
    CAPTURE(interval_ms);
    DropRate rate(1.0);
    std::uint64_t version = 0;
    for (std::int64_t t_ms = 0; t_ms <= 5000; t_ms += interval_ms) {
      rate.add(telemetry_at(t_ms * 1'000'000, static_cast<std::uint64_t>(t_ms / 10), 0), ++version, 1);
    }
    // 1 - exp(-5) of the way to 100/s.
    CHECK(rate.rate_per_s() == doctest::Approx(99.3).epsilon(0.01));
  }
}

TEST_CASE("drop rate leaves out a direction without readings") {
  DropRate rate(1.0);
  LinkTelemetry first = telemetry_at(0, 0, 0);
  first.directions[1].valid = 0;
  first.directions[1].drops_total = 999'999;
  rate.add(first, 1, 1);
  LinkTelemetry second = telemetry_at(1'000'000'000, 100, 0);
  second.directions[1].valid = 0;
  rate.add(second, 2, 1);
  CHECK(rate.rate_per_s() == doctest::Approx(100.0 * (1.0 - std::exp(-1.0))));
}

// Change-only writes with a dead band, a minimum interval and a backoff.
#include <doctest/doctest.h>

#include "write_gate.hpp"

using namespace wanctl;

namespace {
constexpr std::int64_t kMs = 1'000'000;

WritePolicy policy() {
  WritePolicy result;
  result.dead_band_percent = 1.0;
  result.min_write_interval_ns = 1000 * kMs;
  result.retry_initial_ns = 200 * kMs;
  result.retry_max_ns = 1000 * kMs;
  return result;
}
}  // namespace

TEST_CASE("write gate same rate is never written") {
  WriteGate gate(WritePolicy{0.0, 0, 1, 1});
  CHECK(gate.check(50'000'000, 50'000'000, 0) == WriteVerdict::within_dead_band);
  CHECK(gate.check(50'000'001, 50'000'000, 0) == WriteVerdict::write);
}

TEST_CASE("write gate dead band is relative to the device rate") {
  WriteGate gate(policy());
  CHECK(gate.check(100'900'000, 100'000'000, 0) == WriteVerdict::within_dead_band);
  CHECK(gate.check(99'100'000, 100'000'000, 0) == WriteVerdict::within_dead_band);
  CHECK(gate.check(101'000'000, 100'000'000, 0) == WriteVerdict::write);
}

TEST_CASE("write gate unknown or unlimited device rate writes") {
  WriteGate gate(policy());
  CHECK(gate.check(10'000'000, std::nullopt, 0) == WriteVerdict::write);
  CHECK(gate.check(10'000'000, 0U, 0) == WriteVerdict::write);
}

TEST_CASE("write gate minimum interval between writes") {
  WriteGate gate(policy());
  gate.on_success(0);
  CHECK(gate.check(10'000'000, 20'000'000, 999 * kMs) == WriteVerdict::rate_limited);
  CHECK(gate.check(10'000'000, 20'000'000, 1000 * kMs) == WriteVerdict::write);
  CHECK(gate.next_write_ns() == 1000 * kMs);
}

TEST_CASE("write gate backoff doubles to the maximum and clears on success") {
  WritePolicy no_interval = policy();
  no_interval.min_write_interval_ns = 0;
  WriteGate gate(no_interval);
  gate.on_failure(0);
  CHECK(gate.backoff_ns() == 200 * kMs);
  CHECK(gate.check(1, 2, 199 * kMs) == WriteVerdict::backing_off);
  CHECK(gate.check(1, 2, 200 * kMs) == WriteVerdict::write);
  gate.on_failure(200 * kMs);
  CHECK(gate.backoff_ns() == 400 * kMs);
  gate.on_failure(600 * kMs);
  gate.on_failure(1400 * kMs);
  CHECK(gate.backoff_ns() == 1000 * kMs);
  gate.on_success(2400 * kMs);
  CHECK(gate.backoff_ns() == 0);
  CHECK(gate.check(1, 2, 2400 * kMs) == WriteVerdict::write);
}

TEST_CASE("write gate hold until a time") {
  WriteGate gate(policy());
  gate.hold_until(5000 * kMs);
  CHECK(gate.check(1, 2, 4999 * kMs) == WriteVerdict::backing_off);
  gate.clear_backoff();
  CHECK(gate.check(1, 2, 4999 * kMs) == WriteVerdict::write);
}

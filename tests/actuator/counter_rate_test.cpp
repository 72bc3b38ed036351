// Achieved rate from cumulative counters: reference first, resets give zero.
#include <doctest/doctest.h>

#include "counter_rate.hpp"

using namespace wanctl;

TEST_CASE("counter rate first reading is a reference") {
  CounterRate rate;
  CHECK_FALSE(rate.update(5'000'000'000ULL, 1'000'000'000));
  auto interval = rate.update(5'000'125'000ULL, 1'100'000'000);
  REQUIRE(interval);
  CHECK(interval->rate_bps == 10'000'000U);
  CHECK(interval->interval_ns == 100'000'000);
}

TEST_CASE("counter rate reset gives zero, then resumes") {
  CounterRate rate;
  rate.update(9'000'000, 0 + 1);
  auto reset = rate.update(1'000, 100'000'001);
  REQUIRE(reset);
  CHECK(reset->rate_bps == 0U);
  auto after = rate.update(1'000 + 12'500, 200'000'001);
  REQUIRE(after);
  CHECK(after->rate_bps == 1'000'000U);
}

TEST_CASE("counter rate time not advancing is a new reference") {
  CounterRate rate;
  rate.update(100, 50);
  CHECK_FALSE(rate.update(200, 50));
  CHECK_FALSE(rate.update(300, 40));
}

TEST_CASE("counter rate huge counters do not overflow") {
  CounterRate rate;
  rate.update(0, 1);
  auto interval = rate.update(12'500'000'000ULL, 1'000'000'001);  // 100 Gbit/s for one second
  REQUIRE(interval);
  CHECK(interval->rate_bps == 100'000'000'000ULL);
}

TEST_CASE("counter rate reset makes next reading a reference") {
  CounterRate rate;
  rate.update(0, 1);
  rate.reset();
  CHECK_FALSE(rate.update(1'000'000, 2));
}

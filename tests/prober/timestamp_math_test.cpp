// ICMP timestamp arithmetic: wrap at midnight UTC, folding, invalid values.
#include <doctest/doctest.h>

#include "timestamp_math.hpp"

using namespace wanctl::prober;

TEST_CASE("timestamp delays across midnight") {
  // Request sent 10 ms before midnight, replied to 5 ms after it.
  auto delays = one_way_delays(TimestampExchange{86'399'990, 5, 5, 12});
  REQUIRE(delays.has_value());
  CHECK(delays->up_ms == 15);
  CHECK(delays->down_ms == 7);
}

TEST_CASE("timestamp delays within one day") {
  auto delays = one_way_delays(TimestampExchange{1'000, 1'020, 1'021, 1'050});
  REQUIRE(delays.has_value());
  CHECK(delays->up_ms == 20);
  CHECK(delays->down_ms == 29);
}

TEST_CASE("timestamp delay negative from clock offset") {
  // The reflector's clock runs 100 ms behind ours: up is negative, down large.
  auto delays = one_way_delays(TimestampExchange{50'000, 49'910, 49'911, 50'021});
  REQUIRE(delays.has_value());
  CHECK(delays->up_ms == -90);
  CHECK(delays->down_ms == 110);
}

TEST_CASE("timestamp difference folds into half a day") {
  CHECK(timestamp_difference_ms(5, 86'399'990) == 15);
  CHECK(timestamp_difference_ms(86'399'990, 5) == -15);
  CHECK(timestamp_difference_ms(43'200'000, 0) == 43'200'000);
  CHECK(timestamp_difference_ms(43'200'001, 0) == -43'199'999);
  CHECK(timestamp_difference_ms(0, 43'200'000) == 43'200'000);
  CHECK(timestamp_difference_ms(0, 0) == 0);
}

TEST_CASE("timestamp with high bit is invalid") {
  CHECK_FALSE(is_valid_timestamp_ms(0x8000'0000u | 1000u));
  CHECK_FALSE(one_way_delays(TimestampExchange{1'000, 0x8000'0000u | 1'010u, 1'011, 1'020}).has_value());
  CHECK_FALSE(one_way_delays(TimestampExchange{1'000, 1'010, 0x8000'0000u | 1'011u, 1'020}).has_value());
}

TEST_CASE("timestamp of a day or more is invalid") {
  CHECK(is_valid_timestamp_ms(86'399'999));
  CHECK_FALSE(is_valid_timestamp_ms(86'400'000));
  CHECK_FALSE(is_valid_timestamp_ms(0x7fff'ffffu));
  CHECK_FALSE(one_way_delays(TimestampExchange{1'000, 86'400'000, 1'011, 1'020}).has_value());
  CHECK_FALSE(one_way_delays(TimestampExchange{1'000, 1'010, 90'000'000, 1'020}).has_value());
  CHECK_FALSE(one_way_delays(TimestampExchange{86'400'000, 1'010, 1'011, 1'020}).has_value());
  CHECK_FALSE(one_way_delays(TimestampExchange{1'000, 1'010, 1'011, 86'400'001}).has_value());
}

TEST_CASE("realtime converts to milliseconds since midnight") {
  // 2026-12-04T00:00:00.000Z is 1796342400 s after the epoch.
  constexpr std::int64_t kMidnightNs = 1'796'342'400LL * 1'000'000'000;
  CHECK(realtime_to_timestamp_ms(kMidnightNs) == 0);
  CHECK(realtime_to_timestamp_ms(kMidnightNs - 1'000'000) == 86'399'999);
  CHECK(realtime_to_timestamp_ms(kMidnightNs + 3'723'456'789'000) == 3'723'456);
}

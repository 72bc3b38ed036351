// Arithmetic on ICMP timestamp values (RFC 792): milliseconds since midnight
// UTC, 32 bits. A day wraps at 86,400,000 ms, so differences are taken modulo
// a day and folded into +-43,200,000 ms; a reply sent just after midnight to
// a request sent just before it then gives a small delay, not a day. RFC 792
// lets a host that cannot give standard time set the high bit; such a value,
// or any value of a day or more, is not a time and never becomes a delay.
#pragma once

#include <cstdint>
#include <optional>

namespace wanctl::prober {

inline constexpr std::int64_t kDayMs = 86'400'000;
inline constexpr std::int64_t kHalfDayMs = kDayMs / 2;

// True when the value is a standard time of day.
constexpr bool is_valid_timestamp_ms(std::uint32_t value) {
  return (value & 0x8000'0000u) == 0 && value < kDayMs;
}

// Returns later - earlier modulo one day, in (-43,200,000, 43,200,000]. Both
// arguments must be valid times of day.
constexpr std::int64_t timestamp_difference_ms(std::uint32_t later, std::uint32_t earlier) {
  std::int64_t difference = (static_cast<std::int64_t>(later) - static_cast<std::int64_t>(earlier)) % kDayMs;
  if (difference > kHalfDayMs) {
    difference -= kDayMs;
  } else if (difference <= -kHalfDayMs) {
    difference += kDayMs;
  }
  return difference;
}

// One-way delays of a timestamp exchange. Each includes the constant offset
// between the two clocks, with opposite signs; a per-reflector baseline
// removes it later.
struct OneWayDelays {
  std::int64_t up_ms;    // reflector receive - originate
  std::int64_t down_ms;  // local receive - reflector transmit
};

// The four times of one exchange, all in milliseconds since midnight UTC.
struct TimestampExchange {
  std::uint32_t originate_ms;      // our clock when the request left
  std::uint32_t receive_ms;        // reflector's clock when the request arrived
  std::uint32_t transmit_ms;       // reflector's clock when the reply left
  std::uint32_t local_receive_ms;  // our clock when the reply arrived
};

// Returns the one-way delays, or nothing when any of the four values is not
// a valid time of day (the sample is then a bad timestamp).
constexpr std::optional<OneWayDelays> one_way_delays(const TimestampExchange& exchange) {
  if (!is_valid_timestamp_ms(exchange.originate_ms) || !is_valid_timestamp_ms(exchange.receive_ms) ||
      !is_valid_timestamp_ms(exchange.transmit_ms) || !is_valid_timestamp_ms(exchange.local_receive_ms)) {
    return std::nullopt;
  }
  return OneWayDelays{timestamp_difference_ms(exchange.receive_ms, exchange.originate_ms),
                      timestamp_difference_ms(exchange.local_receive_ms, exchange.transmit_ms)};
}

// Converts CLOCK_REALTIME nanoseconds since the epoch to milliseconds since
// midnight UTC (POSIX time has no leap seconds, so every day is 86,400 s).
constexpr std::uint32_t realtime_to_timestamp_ms(std::int64_t realtime_ns) {
  std::int64_t ms = realtime_ns / 1'000'000;
  std::int64_t of_day = ms % kDayMs;
  if (of_day < 0) {
    of_day += kDayMs;
  }
  return static_cast<std::uint32_t>(of_day);
}

}  // namespace wanctl::prober

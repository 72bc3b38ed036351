// Kernel CLOCK_REALTIME receive stamps converted to CLOCK_MONOTONIC, with
// wall-clock steps between the packet and the read.
#include <doctest/doctest.h>

#include "receive_time.hpp"

using namespace wanctl::prober;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSecond = 1'000'000'000;
// A wall clock 1.8e9 s after the epoch and a monotonic clock 1000 s after boot.
constexpr std::int64_t kRealtime = 1'800'000'000LL * kSecond;
constexpr std::int64_t kMonotonic = 1'000 * kSecond;

}  // namespace

TEST_CASE("receive stamp converts by its age") {
  ReceiveClock clock;
  clock.observe(ClockPair{kRealtime, kMonotonic});

  // The packet arrived 3 ms before the pair read 10 ms after the last sleep.
  ClockPair now{kRealtime + 10 * kMs, kMonotonic + 10 * kMs};
  ReceiveTime time = clock.convert(kRealtime + 7 * kMs, now);
  CHECK_FALSE(time.fell_back);
  CHECK(time.monotonic_ns == kMonotonic + 7 * kMs);
}

TEST_CASE("receive stamp before a backward step falls back") {
  ReceiveClock clock;
  clock.observe(ClockPair{kRealtime, kMonotonic});

  // The packet was stamped 5 ms after the pair. Then the wall clock went back
  // 1.76 s. The pair after the read is 6 ms after the observed one.
  std::int64_t stamp = kRealtime + 5 * kMs;
  ClockPair now{kRealtime + 6 * kMs - 1'760 * kMs, kMonotonic + 6 * kMs};
  ReceiveTime time = clock.convert(stamp, now);
  CHECK(time.fell_back);
  CHECK(time.monotonic_ns == now.monotonic_ns);
}

TEST_CASE("receive stamp before a forward step falls back") {
  ReceiveClock clock;
  clock.observe(ClockPair{kRealtime, kMonotonic});

  // A forward step of 1.76 s makes the packet look 1.76 s older than it is.
  // The age alone would pass, but the jump in realtime - monotonic does not.
  std::int64_t stamp = kRealtime + 5 * kMs;
  ClockPair now{kRealtime + 6 * kMs + 1'760 * kMs, kMonotonic + 6 * kMs};
  ReceiveTime time = clock.convert(stamp, now);
  CHECK(time.fell_back);
  CHECK(time.monotonic_ns == now.monotonic_ns);
}

TEST_CASE("receive stamp after a step is exact when pairs agree") {
  // The step happened before the last sleep: the observed pair already
  // carries it, so packets stamped after it convert exactly.
  ReceiveClock clock;
  std::int64_t stepped = kRealtime - 1'760 * kMs;
  clock.observe(ClockPair{stepped, kMonotonic});
  ClockPair now{stepped + 20 * kMs, kMonotonic + 20 * kMs};
  ReceiveTime time = clock.convert(stepped + 15 * kMs, now);
  CHECK_FALSE(time.fell_back);
  CHECK(time.monotonic_ns == kMonotonic + 15 * kMs);
}

TEST_CASE("receive stamp in the future falls back") {
  ReceiveClock clock;
  ClockPair now{kRealtime, kMonotonic};
  ReceiveTime time = clock.convert(kRealtime + 1, now);
  CHECK(time.fell_back);
  CHECK(time.monotonic_ns == kMonotonic);
}

TEST_CASE("receive stamp implausibly old falls back") {
  ReceiveClock clock;
  ClockPair now{kRealtime, kMonotonic};
  ReceiveTime old = clock.convert(kRealtime - ReceiveClock::kMaxAgeNs - 1, now);
  CHECK(old.fell_back);
  ReceiveTime limit = clock.convert(kRealtime - ReceiveClock::kMaxAgeNs, now);
  CHECK_FALSE(limit.fell_back);
  CHECK(limit.monotonic_ns == kMonotonic - ReceiveClock::kMaxAgeNs);
}

TEST_CASE("receive clock tolerates slewing") {
  // chrony slews at most 500 ppm: 0.5 ms over one second is no step.
  ReceiveClock clock;
  clock.observe(ClockPair{kRealtime, kMonotonic});
  ClockPair now{kRealtime + kSecond + kMs / 2, kMonotonic + kSecond};
  ReceiveTime time = clock.convert(now.realtime_ns - kMs, now);
  CHECK_FALSE(time.fell_back);
  CHECK(time.monotonic_ns == now.monotonic_ns - kMs);
}

TEST_CASE("receive clock pair reads both clocks") {
  ClockPair first = read_clock_pair();
  ClockPair second = read_clock_pair();
  CHECK(second.monotonic_ns >= first.monotonic_ns);
  CHECK(first.realtime_ns > 1'500'000'000LL * kSecond);
}

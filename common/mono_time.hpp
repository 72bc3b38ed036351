// CLOCK_MONOTONIC helpers. Every schedule and every delay in wanctl uses this
// clock, so a wall-clock step (NTP, chrony) cannot produce a negative delay.
// Shared-memory records store times as nanoseconds of this clock.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>

namespace wanctl {

// steady_clock is CLOCK_MONOTONIC in libstdc++ on Linux.
using MonoClock = std::chrono::steady_clock;
using MonoTime = MonoClock::time_point;

inline std::int64_t to_mono_ns(MonoTime time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

inline MonoTime from_mono_ns(std::int64_t time_ns) {
  return MonoTime(std::chrono::duration_cast<MonoClock::duration>(std::chrono::nanoseconds(time_ns)));
}

inline std::int64_t monotonic_now_ns() { return to_mono_ns(MonoClock::now()); }

inline std::int64_t timespec_to_ns(const timespec& time) {
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

}  // namespace wanctl

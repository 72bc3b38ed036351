#include "receive_time.hpp"

#include <cstdlib>

#include "mono_time.hpp"

namespace wanctl::prober {

ClockPair read_clock_pair() {
  timespec realtime{};
  timespec monotonic{};
  ::clock_gettime(CLOCK_REALTIME, &realtime);
  ::clock_gettime(CLOCK_MONOTONIC, &monotonic);
  return ClockPair{timespec_to_ns(realtime), timespec_to_ns(monotonic)};
}

bool ReceiveClock::stepped_since_previous(const ClockPair& now) const {
  if (!has_previous_) {
    return false;
  }
  std::int64_t offset_change_ns =
      (now.realtime_ns - now.monotonic_ns) - (previous_.realtime_ns - previous_.monotonic_ns);
  std::int64_t elapsed_ns = now.monotonic_ns - previous_.monotonic_ns;
  std::int64_t allowed_ns = kOffsetSlackNs + elapsed_ns / 1'000'000 * kSlewPartsPerMillion;
  return std::llabs(offset_change_ns) > allowed_ns;
}

ReceiveTime ReceiveClock::convert(std::int64_t kernel_realtime_ns, const ClockPair& now) const {
  std::int64_t age_ns = now.realtime_ns - kernel_realtime_ns;
  if (age_ns < 0 || age_ns > kMaxAgeNs || stepped_since_previous(now)) {
    return ReceiveTime{now.monotonic_ns, true};
  }
  return ReceiveTime{now.monotonic_ns - age_ns, false};
}

}  // namespace wanctl::prober

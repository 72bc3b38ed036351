// Conversion of kernel receive timestamps to CLOCK_MONOTONIC.
//
// SO_TIMESTAMPNS stamps each packet with CLOCK_REALTIME, which NTP or chrony
// may step at any moment. The prober reads a (realtime, monotonic) pair right
// after each recvmsg and takes the packet's age on the realtime clock away
// from the monotonic reading. That is exact while the wall clock did not
// step between the packet's arrival and the pair. A step shows up as a
// negative or implausibly large age, or as a jump in realtime - monotonic
// since the previous pair; then the packet gets the monotonic read time
// instead (late by the time it waited in the socket) and the fallback is
// counted, so an RTT is never negative or absurd.
#pragma once

#include <cstdint>
#include <ctime>

namespace wanctl::prober {

// Both clocks read back to back.
struct ClockPair {
  std::int64_t realtime_ns;
  std::int64_t monotonic_ns;
};

ClockPair read_clock_pair();

struct ReceiveTime {
  std::int64_t monotonic_ns;
  bool fell_back;  // true when the kernel timestamp could not be trusted
};

class ReceiveClock {
 public:
  // A packet older than this when read is treated as stamped by a stepped clock.
  static constexpr std::int64_t kMaxAgeNs = 10'000'000'000;

  // realtime - monotonic may drift by slewing (at most 500 ppm under
  // adjtimex) without a step; a larger change since the previous pair is a
  // step. The fixed part covers the read-out gap between the two clocks.
  static constexpr std::int64_t kOffsetSlackNs = 1'000'000;
  static constexpr std::int64_t kSlewPartsPerMillion = 500;

  // Converts a kernel CLOCK_REALTIME stamp with the pair read right after
  // the packet was received.
  ReceiveTime convert(std::int64_t kernel_realtime_ns, const ClockPair& now) const;

  // Records the pair read just before the loop sleeps. Every packet read
  // after the wake arrived after (or at most a few microseconds before) it,
  // so a step since this pair may have hit any of their stamps.
  void observe(const ClockPair& before_sleep) {
    previous_ = before_sleep;
    has_previous_ = true;
  }

 private:
  bool stepped_since_previous(const ClockPair& now) const;

  ClockPair previous_{};
  bool has_previous_ = false;
};

}  // namespace wanctl::prober

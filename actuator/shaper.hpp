// What the actuator needs from any shaper it drives: read one direction's
// rate and counters, and set its rate with the device's confirmation.
//
// Rates are bit/s; 0 means the shaper is unlimited (CAKE's "unlimited",
// RouterOS's max-limit "0").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "records.hpp"

namespace wanctl {

enum class ShaperStatus {
  ok,
  transient,     // timeout, reset, 5xx, kernel busy: try again after a backoff
  missing,       // interface, qdisc, class or queue not found or of the wrong kind
  unauthorized,  // 401 or 403: stop writing until the credentials work again
  rejected,      // the device refused this request (4xx, EINVAL): not retried as it is
};

std::string_view to_string(ShaperStatus status);

// One direction's shaper counters. Totals are the device's own counters and
// may go backwards when the device resets them.
struct ShaperCounters {
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  std::uint64_t drops = 0;
  std::uint64_t ecn_marks = 0;
  std::uint32_t backlog_bytes = 0;
  std::uint32_t backlog_packets = 0;
  std::int32_t peak_delay_us = -1;      // -1 when the shaper does not report delays
  std::int32_t average_delay_us = -1;
};

struct ShaperReading {
  ShaperStatus status = ShaperStatus::ok;
  std::string error;                     // the device's answer when status is not ok
  std::optional<std::uint64_t> rate_bps; // current rate, 0 for unlimited; nothing when unknown
  std::optional<ShaperCounters> counters;
  std::int64_t time_mono_ns = 0;         // when the device answered
};

struct ShaperWrite {
  ShaperStatus status = ShaperStatus::ok;
  std::string error;
  std::uint64_t confirmed_rate_bps = 0;  // the rate the device reported back
  std::int64_t confirmed_mono_ns = 0;    // when the confirmation arrived
};

class Shaper {
 public:
  virtual ~Shaper() = default;

  // Names the device object, e.g. "CAKE root qdisc on eth0".
  virtual std::string describe(Direction direction) const = 0;

  virtual ShaperReading read(Direction direction) = 0;

  // Sets the rate and returns only after the device confirmed or refused it.
  virtual ShaperWrite write_rate(Direction direction, std::uint64_t rate_bps) = 0;
};

}  // namespace wanctl

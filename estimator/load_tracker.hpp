// Achieved rate per direction from the actuator's shaper counters.
//
// The rate is computed here from byte counters and reading times rather than
// taken from the actuator, so that every reading is checked: the first one
// after a start is a reference only (the counters count since the qdisc was
// created); a counter that goes backwards (an interface reset) gives zero for
// that interval; a reading that implies more than kMaxRateFactor times the
// direction's maximum rate, or whose time goes backwards, is rejected and
// becomes the new reference. Rejections are counted.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "records.hpp"

namespace wanctl::estimator {

// A shaper cannot pass this many times its maximum rate; a higher computed
// rate comes from a counter that jumped.
inline constexpr double kMaxRateFactor = 4.0;

enum class TelemetryResult : std::uint8_t {
  accepted,
  reference,       // first reading or first after a gap: no rate yet
  duplicate,       // same reading time as before; ignored
  counter_reset,   // bytes went backwards: zero for this interval
  rejected,        // time went backwards or the counter jumped
};

class LoadTracker {
 public:
  // Readings to estimate the capacity from; at 10 readings/s this covers 6 s.
  static constexpr int kHistory = 64;

  // Takes one reading. max_rate_bps are the directions' configured maximums;
  // a reading more than stale_s after the previous one only sets a reference.
  std::array<TelemetryResult, kDirectionCount> add(const LinkTelemetry& telemetry,
                                                   const std::array<double, kDirectionCount>& max_rate_bps,
                                                   double stale_s);

  // Latest achieved rate, or nothing when none was measured within stale_s.
  std::optional<double> achieved_bps(int direction, std::int64_t now_ns, double stale_s) const;

  // Highest achieved rate measured within window_s before now_ns.
  std::optional<double> peak_bps(int direction, std::int64_t now_ns, double window_s) const;

 private:
  struct Rate {
    std::int64_t time_ns;
    double rate_bps;
  };

  struct DirectionState {
    bool has_reference = false;
    std::int64_t reference_ns = 0;
    std::uint64_t reference_bytes = 0;
    std::array<Rate, kHistory> rates{};
    int next = 0;   // slot for the next rate
    int count = 0;  // rates stored
  };

  TelemetryResult add_direction(DirectionState& state, std::int64_t time_ns, const DirectionTelemetry& reading,
                                double max_rate_bps, double stale_s);
  static void push_rate(DirectionState& state, std::int64_t time_ns, double rate_bps);

  std::array<DirectionState, kDirectionCount> directions_;
};

}  // namespace wanctl::estimator

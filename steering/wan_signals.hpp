// The signals steering judges one WAN by, taken from the latest estimator
// status and actuator telemetry blocks of that WAN.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "drop_rate.hpp"
#include "latest_block.hpp"
#include "records.hpp"

namespace wanctl {

// The records read from a WAN's two blocks in one cycle; empty when the
// block has no record yet.
struct WanReadings {
  std::optional<BlockSnapshot<EstimatorStatus>> status;
  std::optional<BlockSnapshot<LinkTelemetry>> telemetry;
};

struct WanSignals {
  bool has_status = false;
  bool has_telemetry = false;
  std::int64_t status_age_ns = -1;     // since the estimator's last sign of life, -1 without status
  std::int64_t telemetry_age_ns = -1;  // since the actuator's last sign of life, -1 without telemetry
  bool fresh = false;                  // both present and younger than the staleness limit

  CongestionState estimator_state = CongestionState::green;  // worse of the two directions
  std::int32_t delay_us = 0;           // larger smoothed delay delta of the two directions
  int reflectors_measured = 0;         // reflectors with a baseline, the first entries of reflector_delta_us
  std::int32_t reflector_delta_us[kMaxReflectors] = {};  // latest RTT minus baseline of each
  double drop_rate_per_s = 0.0;        // CAKE drops per second, both directions, smoothed
  std::int32_t queue_delay_us = -1;    // larger CAKE average sojourn delay, -1 if unknown
  std::uint32_t backlog_bytes = 0;     // larger shaper backlog of the two directions
};

// Returns how bad a congestion state is, for picking the worse direction:
// IDLE ranks with GREEN, STALL above RED.
int congestion_severity(CongestionState state);

// Turns the readings of one WAN into signals, keeping the drop counters from
// one reading to the next.
class SignalTracker {
 public:
  SignalTracker(double drop_rate_tau_s, std::chrono::nanoseconds stale_after)
      : drop_rate_(drop_rate_tau_s), stale_after_ns_(stale_after.count()) {}

  WanSignals update(const WanReadings& readings, std::int64_t now_ns);

 private:
  DropRate drop_rate_;
  std::int64_t stale_after_ns_;
};

}  // namespace wanctl

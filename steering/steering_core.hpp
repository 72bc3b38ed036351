// Steering's pure part: readings of both WANs in, assessments and a verdict
// out. It reads no clock and touches no device, so tests drive it with
// blocks they publish and times they choose.
#pragma once

#include <array>
#include <cstdint>

#include "assessment.hpp"
#include "decider.hpp"
#include "steering_config.hpp"
#include "wan_signals.hpp"

namespace wanctl {

// Index of each WAN in arrays and in SteeringStatus::wans.
inline constexpr int kPrimary = 0;
inline constexpr int kAlternate = 1;

struct WanView {
  WanSignals signals;
  Assessment assessment;
  std::int64_t health_since_ns = 0;  // when assessment.health last changed
  bool health_changed = false;       // it changed in this step
  WanHealth previous_health = WanHealth::unknown;
};

struct CoreStep {
  std::array<WanView, 2> wans;
  Verdict verdict;
};

class SteeringCore {
 public:
  SteeringCore(const SteeringConfig& config, bool steered);

  CoreStep step(const WanReadings& primary, const WanReadings& alternate, std::int64_t now_ns);

  // Records the decision the device confirmed.
  void set_steered(bool steered) { decider_.set_steered(steered); }
  bool steered() const { return decider_.steered(); }

 private:
  SteeringThresholds thresholds_;
  std::int64_t stale_after_ns_;
  std::array<SignalTracker, 2> trackers_;
  std::array<WanHealth, 2> health_ = {WanHealth::unknown, WanHealth::unknown};
  std::array<std::int64_t, 2> health_since_ns_ = {0, 0};
  SteeringDecider decider_;
};

// Converts a duration in seconds from the config to nanoseconds.
inline std::int64_t seconds_to_ns(double seconds) { return static_cast<std::int64_t>(seconds * 1e9); }

}  // namespace wanctl

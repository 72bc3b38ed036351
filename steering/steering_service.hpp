// The steering process. Each cycle reads both WANs' blocks, runs the
// assessment and the decider, and applies a change the decider calls for,
// with backoff after failures. Every verify_interval_s it reads the device
// to find changes made outside wanctl. It publishes its status every cycle.
//
// At start it reads the device and adopts what it finds, so a restart never
// flips the rule by itself. Nothing is written until that first read succeeds.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "latest_block.hpp"
#include "logging.hpp"
#include "retry_backoff.hpp"
#include "steering_action.hpp"
#include "steering_config.hpp"
#include "steering_core.hpp"
#include "transition_history.hpp"
#include "wan_inputs.hpp"

namespace wanctl {

class SteeringService {
 public:
  // Attaches to both WANs' blocks (throws naming the config key when one is
  // missing), opens the status block and loads the history file.
  SteeringService(const SteeringConfig& config, std::unique_ptr<SteeringAction> action, bool recreate);

  // One cycle at CLOCK_MONOTONIC time now_ns.
  void cycle(std::int64_t now_ns);

  // Runs cycles every interval_ms until `stop` is set.
  void run(const std::atomic<bool>& stop);

  bool device_known() const { return device_known_; }
  bool steered() const { return core_.steered(); }

 private:
  void adopt_device_state(std::int64_t now_ns);
  void act(const CoreStep& step, std::int64_t now_ns);
  void verify_device(std::int64_t now_ns);
  bool apply(bool steered, std::int64_t now_ns);
  void record_transition(bool steered, const CoreStep* step, const std::string& reason, std::int64_t now_ns);
  void note_failure(const std::string& what, DeviceState state, const std::string& error, std::int64_t now_ns);
  void note_success();
  void log_health(const CoreStep& step, std::int64_t now_ns);
  void reattach_stale_inputs(const CoreStep& step, std::int64_t now_ns);
  void publish(const CoreStep& step, std::int64_t now_ns);

  SteeringConfig config_;
  std::unique_ptr<SteeringAction> action_;
  WanInputs inputs_[2];
  SteeringCore core_;
  TransitionHistory history_;
  BlockWriter<SteeringStatus> writer_;
  RetryBackoff backoff_;

  bool device_known_ = false;          // the device was read once and its state adopted
  std::int64_t decision_since_ns_ = 0;  // when the current decision began (or was adopted)
  std::int64_t next_verify_ns_ = 0;     // next periodic read of the device
  std::int64_t next_reattach_ns_ = 0;   // next check for recreated input blocks
  DeviceState action_state_ = DeviceState::unknown;
  std::string last_error_;
  std::string hold_reason_;
  std::uint64_t action_writes_ = 0;
  std::uint64_t action_errors_ = 0;
  std::uint64_t external_changes_ = 0;

  RepeatLimiter error_limiter_;
  RepeatLimiter stale_limiter_;
  std::int64_t health_logged_ns_[2] = {0, 0};   // last info line about each WAN's health
  std::uint64_t health_unlogged_[2] = {0, 0};   // changes since that line, logged at debug only
};

}  // namespace wanctl

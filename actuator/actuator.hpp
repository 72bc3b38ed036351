// The actuator's control loop: takes the newest decision from the decisions
// ring, applies each direction's rate to the shaper when it differs enough
// from what the device has, and publishes what the shaper reports into the
// telemetry block.
//
// Guarantees: a decision is applied at most once and only while fresh
// (decision_max_age_ms); decisions queued before a start are not applied
// unless the newest of them is still fresh and newer than the last one the
// device confirmed; a direction whose decision has apply = 0 is never
// written; a rate counts as applied only after the device confirmed it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "counter_rate.hpp"
#include "decision_feed.hpp"
#include "latest_block.hpp"
#include "logging.hpp"
#include "records.hpp"
#include "shaper.hpp"
#include "wan_config.hpp"
#include "write_gate.hpp"

namespace wanctl {

class Actuator {
 public:
  // Opens the telemetry block (recreating a mismatched one when `recreate`)
  // and reads each direction's current rate from the device.
  Actuator(const WanConfig& config, Shaper& shaper, bool recreate);

  // Runs until `stop` becomes true.
  void run(const std::atomic<bool>& stop);

  // One pass: attach if needed, wait up to `max_wait` for decisions, apply,
  // publish telemetry when due.
  void run_once(std::chrono::nanoseconds max_wait);

  const LinkTelemetry& telemetry() const { return telemetry_; }

 private:
  // A decision's rate for one direction, waiting to be written.
  struct Pending {
    std::uint64_t rate_bps = 0;
    std::uint64_t decision_id = 0;
    std::int64_t decision_mono_ns = 0;
    std::int64_t cause_recv_mono_ns = 0;
  };

  struct DirectionState {
    bool configured = false;
    std::string name;                          // "download" or "upload"
    std::optional<std::uint64_t> device_rate_bps;  // confirmed or read; 0 for unlimited
    std::optional<std::uint64_t> dry_run_rate_bps; // the rate a dry run pretends to have set
    std::optional<Pending> pending;
    bool write_failing = false;
    bool unauthorized = false;
    DeviceState state = DeviceState::unknown;
    std::string error;
    WriteGate gate;
    CounterRate counter;
    RepeatLimiter log_limiter;
    DirectionTelemetry telemetry{};
  };

  void attach_if_due(std::int64_t now_ns);
  void accept(const DecisionBatch& batch, bool backlog);
  void apply_pending(std::int64_t now_ns);
  void apply(int direction, std::int64_t now_ns);
  void read_direction(int direction, std::int64_t now_ns);
  void publish(std::int64_t now_ns);
  // Republishes the last readings with a newly confirmed rate, so the
  // estimator (and a restarted actuator) learn of a write at once.
  void publish_applied();
  void set_state(int direction, DeviceState state, const std::string& error);
  void note_error(int direction, const std::string& error);
  // "download ok, upload missing", for systemd's status line.
  std::string service_status() const;

  const WanConfig& config_;
  Shaper& shaper_;
  bool dry_run_;
  DecisionFeed feed_;
  BlockWriter<LinkTelemetry> telemetry_writer_;
  LinkTelemetry telemetry_{};
  DirectionState directions_[kDirectionCount];

  std::uint64_t restored_decision_id_ = 0;  // last confirmed decision of a previous run
  std::int64_t next_attach_ns_ = 0;
  std::int64_t next_telemetry_ns_ = 0;
  std::int64_t last_publish_ns_ = 0;
  RepeatLimiter attach_log_limiter_;
};

}  // namespace wanctl

// The estimator core: probe samples and link telemetry in, rate decisions
// and a status snapshot out.
//
// Pure computation: no I/O and no clock reads. The records' own timestamps
// drive all timing (a reply's receive time, a timeout's send time, a
// telemetry reading's time), so the live process and the replay tool give
// the same decisions for the same records. The live process may add
// on_tick() calls when no record arrives, so that STALL and heartbeats do not
// wait for one.
//
// Per event the core updates one reflector's baselines, the bufferbloat
// window and the smoothed delta of each direction, then runs each
// direction's state machine and rate law. It emits a decision when a
// direction's state, bufferbloat verdict or rate changes (a rate by at least
// kPublishChangeShare, or by any cut) and otherwise a heartbeat decision after
// heartbeat_s. A decision's cause is the latest sample: its id, and its
// receive time (the send time for a timeout or an ICMP error, which have no
// receive time). Measured cost per sample is in docs/BENCHMARKS.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "bloat_detector.hpp"
#include "congestion_state.hpp"
#include "estimator_config.hpp"
#include "load_tracker.hpp"
#include "rate_law.hpp"
#include "records.hpp"
#include "reflector_tracker.hpp"
#include "sample_check.hpp"

namespace wanctl::estimator {

struct EstimatorCounters {
  std::uint64_t samples_used = 0;
  std::uint64_t samples_rejected = 0;    // failed check_sample()
  std::uint64_t samples_skipped = 0;     // stale after a restart; counted by the caller
  std::uint64_t samples_lost = 0;        // overwritten in the ring; counted by the caller
  std::uint64_t owd_dropped = 0;         // one-way delays contradicting the RTT
  std::uint64_t clock_steps = 0;         // one-way baselines reset for a clock step
  std::uint64_t telemetry_used = 0;
  std::uint64_t telemetry_rejected = 0;  // time backwards, counter reset or jump, per direction
  std::uint64_t decisions = 0;           // emitted by this run
};

class Estimator {
 public:
  // reflector_count: the number of configured reflectors; sample reflector
  // ids must be below it (and below kMaxReflectors).
  Estimator(const EstimatorConfig& config, int reflector_count);

  std::optional<RateDecision> on_sample(const ProbeSample& sample);
  std::optional<RateDecision> on_telemetry(const LinkTelemetry& telemetry);
  // Advances time without a record; for the live process only.
  std::optional<RateDecision> on_tick(std::int64_t now_ns);

  // Takes a new configuration; baselines, states and rates carry over,
  // rates clamped to the new range.
  void reconfigure(const EstimatorConfig& config, int reflector_count);

  // Continues from a status an earlier run published. Baselines are taken
  // only when trust_baselines is set (the status is recent enough that the
  // paths cannot have changed unnoticed).
  void restore(const EstimatorStatus& status, bool trust_baselines);

  EstimatorStatus status() const;
  const EstimatorCounters& counters() const { return counters_; }
  EstimatorCounters& counters() { return counters_; }

  // Why the latest sample was rejected; none after an accepted one.
  SampleProblem last_problem() const { return last_problem_; }
  // True when the latest decision changed a state or a bufferbloat verdict,
  // or cut or reset a rate: worth a log line, unlike steady increases.
  bool last_decision_notable() const { return last_notable_; }
  const std::string& last_change_reason() const { return last_change_reason_; }
  std::int64_t now_ns() const { return now_ns_; }

 private:
  struct DirectionState {
    BloatDetector detector;
    BloatVerdict verdict;
    CongestionStateMachine machine;
    RateLaw law;
    RateAction last_action = RateAction::none;
    double latest_delta_us = 0.0;       // from the latest sample carrying this direction
    double smoothed_delta_us = 0.0;
    std::optional<std::int64_t> smoothed_ns;  // last smoothing update
    std::optional<std::int64_t> law_ns;       // last rate law step
    std::optional<double> achieved_bps;
    // Latest delta per reflector and when it was measured, for the median.
    std::array<double, kMaxReflectors> reflector_delta_us{};
    std::array<std::int64_t, kMaxReflectors> reflector_delta_ns{};
    std::array<bool, kMaxReflectors> has_reflector_delta{};
    DirectionDecision published{};      // as in the latest decision
  };

  void apply_sample(const CheckedSample& sample, std::uint16_t reflector_id);
  void smooth(DirectionState& direction, std::int64_t now_ns);
  void step_directions();
  DirectionDecision current_decision(int direction) const;
  std::optional<RateDecision> decide();
  std::string describe_change(int direction, const DirectionDecision& next) const;
  std::array<bool, kDirectionCount> baseline_rise_allowed() const;
  BaselineTiming baseline_timing() const;

  EstimatorConfig config_;
  int reflector_count_;
  std::array<ReflectorTracker, kMaxReflectors> reflectors_;
  std::array<DirectionState, kDirectionCount> directions_;
  LoadTracker load_;
  EstimatorCounters counters_;

  std::int64_t now_ns_ = 0;                       // newest record time seen
  std::optional<std::int64_t> first_event_ns_;    // first record of this run
  std::optional<std::int64_t> last_reply_ns_;     // newest reply from any reflector
  std::uint64_t cause_sample_id_ = 0;             // latest sample
  std::int64_t cause_recv_mono_ns_ = 0;
  // Whether the step being decided comes from a sample. A decision from a
  // telemetry reading or a tick carries receive time 0, so its delay is not
  // counted as sample-to-shaper latency.
  bool step_from_sample_ = false;
  std::uint64_t next_sample_id_ = 0;

  std::uint64_t decision_id_ = 0;                 // of the latest decision, across restarts
  bool has_published_ = false;
  std::int64_t last_decision_ns_ = 0;
  bool last_notable_ = false;
  SampleProblem last_problem_ = SampleProblem::none;
  std::string last_change_reason_;
};

}  // namespace wanctl::estimator

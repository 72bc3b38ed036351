// The records that flow between wanctl's stages, defined once for all of them.
//
// Every record is trivially copyable, a multiple of 8 bytes and free of
// pointers, because it is copied word by word into shared memory and read by
// other processes, possibly built from another commit (the header's layout
// version guards that). Times are CLOCK_MONOTONIC nanoseconds, delays are
// microseconds, rates are bits per second; the unit is in every field name.
#pragma once

#include <cstdint>

namespace wanctl {

inline constexpr int kDirectionCount = 2;
enum class Direction : std::uint8_t { download = 0, upload = 1 };

// Reflectors a status block can describe; configs may not list more.
inline constexpr int kMaxReflectors = 16;

// Fixed-size text fields (reasons, errors), always NUL-terminated.
inline constexpr int kReasonChars = 96;

enum class SampleStatus : std::uint8_t {
  reply = 0,          // a matching reply; rtt_ns (and one-way delays if has_owd) are valid
  timeout = 1,        // no reply before the deadline
  error = 2,          // an ICMP error (unreachable, time exceeded) quoted this probe
  bad_timestamp = 3,  // a timestamp reply whose times are not valid; rtt_ns is still valid
};

enum class ProbeMethod : std::uint8_t { echo = 0, timestamp = 1 };

enum class CongestionState : std::uint8_t {
  green = 0,
  yellow = 1,
  soft_red = 2,
  red = 3,
  idle = 4,
  stall = 5,
};

// One probe's outcome, written by the prober into the samples ring.
struct ProbeSample {
  std::uint64_t sample_id;          // ring index of this record; decisions refer to it
  std::int64_t send_mono_ns;        // when the probe left, CLOCK_MONOTONIC
  std::int64_t recv_mono_ns;        // kernel receive time of the answer, 0 for a timeout
  std::int64_t rtt_ns;              // recv - send for reply and bad_timestamp, else 0
  std::int32_t owd_up_us;           // reflector receive - originate, includes clock offset
  std::int32_t owd_down_us;         // local receive - reflector transmit, includes clock offset
  std::uint8_t reflector_address[16];  // IPv4 in the first 4 bytes, or IPv6
  std::uint16_t reflector_id;       // index into the configured reflector list
  std::uint16_t icmp_sequence;
  SampleStatus status;
  ProbeMethod method;
  std::uint8_t address_family;      // AF_INET or AF_INET6
  std::uint8_t has_owd;             // 1 when owd_up_us and owd_down_us are valid
  std::uint8_t icmp_type;           // type of the ICMP message received (0 for a timeout)
  std::uint8_t icmp_code;
  std::uint8_t reserved[6];
};
static_assert(sizeof(ProbeSample) == 72);

// One direction's part of a decision and of the estimator's status.
struct DirectionDecision {
  std::uint64_t rate_bps;           // shaper rate the estimator wants
  std::uint64_t achieved_rate_bps;  // what the link carried in this direction, from telemetry
  std::int32_t delta_us;            // latest delay minus baseline
  std::int32_t smoothed_delta_us;   // the delta that drives the state machine
  CongestionState state;
  std::uint8_t apply;               // 0 in monitor-only mode: publish, never apply
  std::uint8_t bufferbloat;         // 1 while bufferbloat is declared in this direction
  std::uint8_t reserved[5];
};
static_assert(sizeof(DirectionDecision) == 32);

// A rate decision, written by the estimator into the decisions ring whenever
// a rate or state changes, and at least once per second as a heartbeat.
struct RateDecision {
  std::uint64_t decision_id;        // counts decisions across estimator restarts
  std::int64_t time_mono_ns;        // when the estimator made the decision
  std::uint64_t cause_sample_id;    // sample that triggered it, or the latest sample
  std::int64_t cause_recv_mono_ns;  // that sample's kernel receive time; 0 when telemetry or a timer triggered it
  DirectionDecision directions[kDirectionCount];
  std::uint8_t heartbeat;           // 1 when nothing changed since the previous decision
  std::uint8_t reserved[7];
};
static_assert(sizeof(RateDecision) == 104);

enum class DeviceState : std::uint8_t {
  unknown = 0,       // nothing read or written yet
  ok = 1,            // the last read or write succeeded
  failing = 2,       // the last write failed and will be retried
  unauthorized = 3,  // the device rejected the credentials; writes stopped
  missing = 4,       // interface, qdisc or queue not found
  dry_run = 5,       // nothing is applied by design
};

// One direction's shaper readings.
struct DirectionTelemetry {
  std::uint64_t bytes_total;        // shaper counter since the qdisc was created
  std::uint64_t packets_total;
  std::uint64_t drops_total;
  std::uint64_t ecn_marks_total;
  std::uint64_t achieved_rate_bps;  // bytes sent over the last interval, as a rate
  std::uint64_t applied_rate_bps;   // rate the device confirmed, 0 if unknown
  std::uint32_t backlog_bytes;
  std::uint32_t backlog_packets;
  std::int32_t peak_delay_us;       // CAKE's peak sojourn delay over all tins, -1 if unknown
  std::int32_t average_delay_us;    // CAKE's average sojourn delay, -1 if unknown
  DeviceState device_state;
  std::uint8_t valid;               // 0 until a first reading gave a reference
  std::uint8_t reserved[6];
};
static_assert(sizeof(DirectionTelemetry) == 72);

// The actuator's latest readings, in the telemetry block.
struct LinkTelemetry {
  std::int64_t time_mono_ns;              // when the readings were taken
  std::int64_t interval_ns;               // time the achieved rates are measured over
  std::uint64_t last_applied_decision_id; // newest decision the device confirmed
  std::int64_t last_apply_latency_ns;     // cause sample's receive time to device confirmation; 0 without one
  std::uint64_t device_writes;            // writes the device confirmed since start
  std::uint64_t device_write_errors;
  DirectionTelemetry directions[kDirectionCount];
  char last_error[kReasonChars];
};
static_assert(sizeof(LinkTelemetry) % 8 == 0);

// One reflector as the estimator sees it.
struct ReflectorEstimate {
  std::int32_t baseline_rtt_us;     // uncongested round-trip delay
  std::int32_t baseline_up_us;      // uncongested one-way delays, offset included
  std::int32_t baseline_down_us;
  std::int32_t delta_rtt_us;        // latest sample minus baseline
  std::int32_t delta_up_us;
  std::int32_t delta_down_us;
  std::uint32_t samples;            // samples used since the baseline started
  std::uint8_t has_baseline;
  std::uint8_t has_owd;
  std::uint16_t reflector_id;
};
static_assert(sizeof(ReflectorEstimate) == 32);

// The estimator's state, in the status block. It is also what a restarted
// estimator restores.
struct EstimatorStatus {
  std::int64_t time_mono_ns;
  std::uint64_t decision_id;          // last decision written
  std::uint64_t next_sample_id;       // first sample not yet used
  std::uint64_t samples_used;
  std::uint64_t samples_rejected;     // NaN, negative, absurd or unknown reflector
  std::uint64_t samples_lost;         // overwritten before the estimator read them
  DirectionDecision directions[kDirectionCount];
  ReflectorEstimate reflectors[kMaxReflectors];
  std::uint32_t reflector_count;
  std::uint32_t reserved;
  char last_change_reason[kReasonChars];
  std::uint64_t samples_skipped;      // too old when read (after a restart); never used
  std::uint64_t telemetry_rejected;   // readings whose time went backwards or whose counters reset or jumped
};
static_assert(sizeof(EstimatorStatus) % 8 == 0);

// One reflector as the prober sees it.
struct ReflectorHealth {
  std::uint8_t address[16];
  std::uint8_t address_family;
  std::uint8_t active;              // 1 while probed, 0 while a spare
  ProbeMethod method;               // current method; timestamp may fall back to echo
  std::uint8_t reserved;
  std::uint32_t probes_sent;        // since it was last activated
  std::uint32_t replies;
  std::uint32_t recent_timeouts;    // timeouts within the replacement window
  std::int32_t median_rtt_us;       // over recent replies, -1 when none
  std::uint32_t loss_permille;      // over recent probes
};
static_assert(sizeof(ReflectorHealth) == 40);

// The prober's state, in its status block.
struct ProberStatus {
  std::int64_t time_mono_ns;
  std::uint64_t probes_sent;
  std::uint64_t replies;
  std::uint64_t timeouts;
  std::uint64_t errors;
  std::uint64_t duplicates;         // second replies to one probe, dropped
  std::uint64_t late_replies;       // replies after the deadline, dropped
  std::uint64_t replacements;       // reflectors swapped for a spare
  ReflectorHealth reflectors[kMaxReflectors];
  std::uint32_t reflector_count;
  std::uint8_t sockets_open;        // 0 while the interface is missing and sockets are reopened
  std::uint8_t unprivileged_socket; // 1 when probing through an unprivileged ICMP socket (echo only)
  std::uint8_t reserved[2];
  char last_error[kReasonChars];
  std::uint64_t skipped_slots;      // probe slots missed after a stall; never sent late
  std::uint64_t receive_time_fallbacks;  // receive stamps replaced after a wall-clock step
  std::uint64_t send_errors;        // requests the kernel refused to send (also counted in errors)
  std::uint64_t bad_timestamps;     // timestamp replies with invalid times
  std::uint64_t unmatched;          // replies or errors with our identifier that match no probe
  std::int64_t last_sample_mono_ns; // when the last sample was written, 0 before the first
};
static_assert(sizeof(ProberStatus) % 8 == 0);

// Steering's judgement of one WAN, from its estimator status and actuator
// telemetry together.
enum class WanHealth : std::uint8_t {
  unknown = 0,  // no assessment yet
  green = 1,    // delay near baseline
  yellow = 2,   // delay elevated, or the estimator is past YELLOW, without a second signal
  red = 3,      // delay elevated, confirmed by most reflectors, CAKE drops or a standing queue
  stale = 4,    // status or telemetry older than the staleness limit, or missing
  stalled = 5,  // the estimator reports STALL: no replies from any reflector
};

// One WAN as steering sees it.
struct SteeringWan {
  char instance[72];                // WAN instance name, NUL-terminated
  std::int64_t status_age_ns;       // age of the estimator status, -1 when none was read
  std::int64_t telemetry_age_ns;    // age of the actuator telemetry, -1 when none was read
  std::int64_t health_since_ns;     // CLOCK_MONOTONIC when `health` last changed
  double drop_rate_per_s;           // CAKE drops per second, both directions, smoothed
  std::int32_t delay_us;            // larger smoothed delay delta of the two directions
  std::int32_t queue_delay_us;      // larger CAKE average sojourn delay, -1 if unknown
  std::uint32_t backlog_bytes;      // larger shaper backlog of the two directions
  WanHealth health;
  CongestionState estimator_state;  // worse state of the two directions
  std::uint8_t reflectors_measured; // reflectors with a baseline in the estimator's status
  std::uint8_t reflectors_delayed;  // of those, reflectors whose RTT delta reaches red_delay_ms
};
static_assert(sizeof(SteeringWan) == 120);

// Transitions a steering status block keeps; older ones are dropped.
inline constexpr int kSteeringHistory = 50;

// Steering's reasons name two WANs and their signal values, so they get more
// room than kReasonChars.
inline constexpr int kSteeringReasonChars = 160;

// One change of the steering decision.
struct SteeringTransition {
  std::int64_t time_unix_ms;        // wall clock, for people reading the history only
  std::uint8_t steered;             // 1: latency-sensitive traffic moved to the alternate
  WanHealth primary_health;
  WanHealth alternate_health;
  std::uint8_t reserved[5];
  char reason[kSteeringReasonChars];
};
static_assert(sizeof(SteeringTransition) == 176);


// The steering process's state, in the block wanctl.<site>.steering.
struct SteeringStatus {
  std::int64_t time_mono_ns;
  std::int64_t decision_since_ns;   // CLOCK_MONOTONIC of the last change of `steered`, or start
  std::uint64_t transitions_total;  // since the history file was created
  std::uint64_t action_writes;      // device writes the device confirmed, this run
  std::uint64_t action_errors;      // failed reads, writes and verifications, this run
  std::uint64_t external_changes;   // device state changed outside wanctl and was set back
  std::int64_t next_retry_ns;       // CLOCK_MONOTONIC of the next retry of a failed action, 0 if none
  SteeringWan wans[2];              // primary, alternate
  SteeringTransition transitions[kSteeringHistory];  // oldest first
  std::uint32_t transition_count;   // valid entries in `transitions`
  std::uint8_t steered;             // decision the device confirmed: 1 = on the alternate
  std::uint8_t wanted_steered;      // decision the assessment wants; differs while an action fails
  DeviceState action_state;
  std::uint8_t reserved;
  char hold_reason[kSteeringReasonChars];  // why the decision does not change now
  char last_error[kSteeringReasonChars];   // latest action error, empty after a success
};
static_assert(sizeof(SteeringStatus) % 8 == 0);

// Used by the ring tests and benchmark: every word is derived from `index`,
// so a torn copy is detectable.
struct TestRecord {
  std::uint64_t index;
  std::uint64_t check[7];
};
static_assert(sizeof(TestRecord) == 64);

}  // namespace wanctl

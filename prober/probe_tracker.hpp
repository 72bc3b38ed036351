// Probes in flight and recently resolved, keyed by ICMP sequence number.
//
// Every probe resolves exactly once: to a reply, an error, or a timeout at
// its deadline. Whatever arrives for a probe after that is counted as a
// duplicate (after a reply or error) or a late reply (after a timeout), and
// never resolves it again. Resolved probes stay in the table until their
// sequence number is reused, so late replies and duplicates are recognised
// for table_size / rate seconds.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "records.hpp"

namespace wanctl::prober {

enum class ProbeState : std::uint8_t { empty, pending, replied, failed, timed_out };

struct InFlightProbe {
  std::int64_t send_mono_ns = 0;
  std::int64_t deadline_mono_ns = 0;
  std::uint32_t activation = 0;     // reflector's activation count when sent
  std::uint32_t originate_ms = 0;   // timestamp requests: our time of day when sent
  std::uint16_t sequence = 0;
  std::uint16_t reflector_id = 0;
  ProbeMethod method = ProbeMethod::echo;
  ProbeState state = ProbeState::empty;
};

enum class Match : std::uint8_t {
  first,      // the probe was pending and is now resolved
  duplicate,  // it was already resolved by a reply or error
  late,       // it had already timed out
  expired,    // it was pending, but the reply or error arrived after its
              // deadline, so it is now timed out and the arrival counts as late
  unknown,    // no probe with this sequence number went to this reflector
};

class ProbeTracker {
 public:
  // in_flight_limit: the most probes that can be pending at once
  // (rate * timeout). The table has room for four times that, rounded up
  // to a power of two.
  explicit ProbeTracker(std::size_t in_flight_limit);

  // Adds a pending probe. Returns a probe whose table entry it took while
  // that one was still pending; the caller must then write it as a timeout.
  // Sizing makes that impossible unless probes outlive four timeouts.
  std::optional<InFlightProbe> add(const InFlightProbe& probe);

  // Resolves the probe with this sequence number and method sent to
  // reflector_id, if it is pending, and returns how the reply or error
  // matched, with the probe's data in `probe`.
  Match resolve(std::uint16_t sequence, std::uint16_t reflector_id, ProbeMethod method, ProbeState outcome,
                std::int64_t recv_mono_ns, InFlightProbe& probe);

  // Removes and returns the oldest pending probe whose deadline has passed,
  // marked as timed out.
  std::optional<InFlightProbe> take_expired(std::int64_t now_ns);

  // Deadline of the oldest pending probe, or nothing.
  std::optional<std::int64_t> next_deadline_ns();

  std::size_t table_size() const { return table_.size(); }
  std::size_t pending() const { return pending_count_; }

 private:
  void drop_resolved_front();

  std::vector<InFlightProbe> table_;   // indexed by sequence & mask_
  std::uint16_t mask_;
  std::deque<std::uint16_t> order_;    // sequence numbers in send order, pending or resolved early
  std::size_t pending_count_ = 0;
};

}  // namespace wanctl::prober

#include "probe_tracker.hpp"

#include <algorithm>
#include <bit>

namespace wanctl::prober {

ProbeTracker::ProbeTracker(std::size_t in_flight_limit) {
  std::size_t size = std::bit_ceil(std::max<std::size_t>(4 * in_flight_limit, 256));
  size = std::min<std::size_t>(size, 65536);
  table_.resize(size);
  mask_ = static_cast<std::uint16_t>(size - 1);
}

std::optional<InFlightProbe> ProbeTracker::add(const InFlightProbe& probe) {
  InFlightProbe& entry = table_[probe.sequence & mask_];
  std::optional<InFlightProbe> evicted;
  if (entry.state == ProbeState::pending) {
    evicted = entry;
    evicted->state = ProbeState::timed_out;
    --pending_count_;
  }

  entry = probe;
  entry.state = ProbeState::pending;
  ++pending_count_;
  order_.push_back(probe.sequence);
  return evicted;
}

Match ProbeTracker::resolve(std::uint16_t sequence, std::uint16_t reflector_id, ProbeMethod method,
                            ProbeState outcome, std::int64_t recv_mono_ns, InFlightProbe& probe) {
  InFlightProbe& entry = table_[sequence & mask_];
  if (entry.state == ProbeState::empty || entry.sequence != sequence || entry.reflector_id != reflector_id ||
      entry.method != method) {
    return Match::unknown;
  }
  probe = entry;
  switch (entry.state) {
    case ProbeState::pending:
      entry.state = recv_mono_ns > entry.deadline_mono_ns ? ProbeState::timed_out : outcome;
      --pending_count_;
      drop_resolved_front();
      probe.state = entry.state;
      return entry.state == ProbeState::timed_out ? Match::expired : Match::first;
    case ProbeState::timed_out:
      return Match::late;
    default:
      return Match::duplicate;
  }
}

void ProbeTracker::drop_resolved_front() {
  while (!order_.empty()) {
    const InFlightProbe& front = table_[order_.front() & mask_];
    if (front.sequence == order_.front() && front.state == ProbeState::pending) {
      return;
    }
    order_.pop_front();
  }
}

std::optional<InFlightProbe> ProbeTracker::take_expired(std::int64_t now_ns) {
  drop_resolved_front();
  if (order_.empty()) {
    return std::nullopt;
  }
  InFlightProbe& front = table_[order_.front() & mask_];
  if (front.deadline_mono_ns > now_ns) {
    return std::nullopt;
  }
  front.state = ProbeState::timed_out;
  --pending_count_;
  order_.pop_front();
  return front;
}

std::optional<std::int64_t> ProbeTracker::next_deadline_ns() {
  drop_resolved_front();
  if (order_.empty()) {
    return std::nullopt;
  }
  return table_[order_.front() & mask_].deadline_mono_ns;
}

}  // namespace wanctl::prober

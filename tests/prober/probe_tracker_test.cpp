// In-flight probes: one resolution each, duplicates, late replies, deadlines.
#include <doctest/doctest.h>

#include "probe_tracker.hpp"

using namespace wanctl;
using namespace wanctl::prober;

namespace {

constexpr std::int64_t kMs = 1'000'000;

InFlightProbe probe_at(std::uint16_t sequence, std::uint16_t reflector, std::int64_t send_ns) {
  InFlightProbe probe;
  probe.sequence = sequence;
  probe.reflector_id = reflector;
  probe.send_mono_ns = send_ns;
  probe.deadline_mono_ns = send_ns + 1000 * kMs;
  probe.method = ProbeMethod::echo;
  return probe;
}

}  // namespace

TEST_CASE("tracker resolves a reply once") {
  ProbeTracker tracker(20);
  CHECK_FALSE(tracker.add(probe_at(100, 1, 0)).has_value());
  CHECK(tracker.pending() == 1);

  InFlightProbe found;
  CHECK(tracker.resolve(100, 1, ProbeMethod::echo, ProbeState::replied, 5 * kMs, found) == Match::first);
  CHECK(found.send_mono_ns == 0);
  CHECK(tracker.pending() == 0);
  CHECK(tracker.resolve(100, 1, ProbeMethod::echo, ProbeState::replied, 6 * kMs, found) == Match::duplicate);
  CHECK_FALSE(tracker.take_expired(5'000 * kMs).has_value());
}

TEST_CASE("tracker rejects a reply from another reflector or method") {
  ProbeTracker tracker(20);
  tracker.add(probe_at(7, 1, 0));
  InFlightProbe found;
  CHECK(tracker.resolve(7, 2, ProbeMethod::echo, ProbeState::replied, kMs, found) == Match::unknown);
  CHECK(tracker.resolve(7, 1, ProbeMethod::timestamp, ProbeState::replied, kMs, found) == Match::unknown);
  CHECK(tracker.resolve(8, 1, ProbeMethod::echo, ProbeState::replied, kMs, found) == Match::unknown);
  CHECK(tracker.pending() == 1);
}

TEST_CASE("tracker times out in send order and counts late replies") {
  ProbeTracker tracker(20);
  tracker.add(probe_at(1, 0, 0));
  tracker.add(probe_at(2, 1, 50 * kMs));
  tracker.add(probe_at(3, 2, 100 * kMs));
  CHECK(tracker.next_deadline_ns() == 1000 * kMs);

  InFlightProbe found;
  CHECK(tracker.resolve(2, 1, ProbeMethod::echo, ProbeState::replied, 60 * kMs, found) == Match::first);

  CHECK_FALSE(tracker.take_expired(999 * kMs).has_value());
  auto expired = tracker.take_expired(1'100 * kMs);
  REQUIRE(expired.has_value());
  CHECK(expired->sequence == 1);
  CHECK(expired->state == ProbeState::timed_out);
  expired = tracker.take_expired(1'100 * kMs);
  REQUIRE(expired.has_value());
  CHECK(expired->sequence == 3);
  CHECK_FALSE(tracker.take_expired(1'100 * kMs).has_value());

  CHECK(tracker.resolve(1, 0, ProbeMethod::echo, ProbeState::replied, 1'200 * kMs, found) == Match::late);
  CHECK(tracker.pending() == 0);
}

TEST_CASE("tracker treats a reply received after the deadline as late") {
  // The loop may read a reply before it gets to expiring the probe; the
  // kernel receive time decides.
  ProbeTracker tracker(20);
  tracker.add(probe_at(1, 0, 0));
  InFlightProbe found;
  CHECK(tracker.resolve(1, 0, ProbeMethod::echo, ProbeState::replied, 1'001 * kMs, found) == Match::expired);
  CHECK(found.state == ProbeState::timed_out);
  CHECK(tracker.resolve(1, 0, ProbeMethod::echo, ProbeState::replied, 1'002 * kMs, found) == Match::late);
  CHECK_FALSE(tracker.take_expired(5'000 * kMs).has_value());
}

TEST_CASE("tracker error after reply is a duplicate") {
  ProbeTracker tracker(20);
  tracker.add(probe_at(1, 0, 0));
  InFlightProbe found;
  CHECK(tracker.resolve(1, 0, ProbeMethod::echo, ProbeState::failed, kMs, found) == Match::first);
  CHECK(tracker.resolve(1, 0, ProbeMethod::echo, ProbeState::replied, 2 * kMs, found) == Match::duplicate);
}

TEST_CASE("tracker table wraps with sequence numbers") {
  ProbeTracker tracker(20);
  CHECK(tracker.table_size() == 256);
  // Sequence numbers wrap at 65536; probes resolve as they go.
  InFlightProbe found;
  for (std::uint32_t n = 0; n < 70'000; ++n) {
    auto sequence = static_cast<std::uint16_t>(n + 65'000);
    REQUIRE_FALSE(tracker.add(probe_at(sequence, 0, n * 50 * kMs)).has_value());
    REQUIRE(tracker.resolve(sequence, 0, ProbeMethod::echo, ProbeState::replied, n * 50 * kMs + kMs, found) ==
            Match::first);
  }
  CHECK(tracker.pending() == 0);
}

TEST_CASE("tracker evicts a probe pending for a whole table") {
  ProbeTracker tracker(1);
  REQUIRE(tracker.table_size() == 256);
  tracker.add(probe_at(0, 0, 0));
  for (std::uint16_t sequence = 1; sequence < 256; ++sequence) {
    InFlightProbe found;
    tracker.add(probe_at(sequence, 0, 0));
    tracker.resolve(sequence, 0, ProbeMethod::echo, ProbeState::replied, kMs, found);
  }
  auto evicted = tracker.add(probe_at(256, 0, 0));
  REQUIRE(evicted.has_value());
  CHECK(evicted->sequence == 0);
  CHECK(evicted->state == ProbeState::timed_out);
}

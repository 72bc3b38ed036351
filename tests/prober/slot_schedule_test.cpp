// Probe slots: fixed times without drift, skipped slots after a stall.
#include <doctest/doctest.h>

#include "slot_schedule.hpp"

using namespace wanctl::prober;

TEST_CASE("slot schedule fires each slot once") {
  SlotSchedule schedule(1'000, 20.0);
  CHECK(schedule.next_slot_ns() == 1'000);
  CHECK_FALSE(schedule.take_due(999).has_value());

  auto first = schedule.take_due(1'000);
  REQUIRE(first.has_value());
  CHECK(first->slot == std::optional<std::uint64_t>(0));
  CHECK(first->skipped == 0);
  CHECK_FALSE(schedule.take_due(1'000).has_value());
  CHECK(schedule.next_slot_ns() == 1'000 + 50'000'000);
}

TEST_CASE("slot schedule has no drift") {
  // Each wake is 3 ms late; the slot times stay on the grid.
  SlotSchedule schedule(0, 20.0);
  for (std::uint64_t n = 0; n < 72'000; ++n) {
    std::int64_t wake = schedule.next_slot_ns() + 3'000'000;
    auto due = schedule.take_due(wake);
    REQUIRE(due.has_value());
    CHECK(due->slot == std::optional<std::uint64_t>(n));
    CHECK(due->skipped == 0);
  }
  // One hour of slots at 20 per second ends exactly one hour after the start.
  CHECK(schedule.next_slot_ns() == 3'600'000'000'000LL);
}

TEST_CASE("slot schedule skips missed slots after a stall") {
  SlotSchedule schedule(0, 20.0);
  REQUIRE(schedule.take_due(0).has_value());

  // Stopped for 1.01 s, so slots 1 to 20 passed. Slot 20 is 10 ms ago, which
  // is within half a period, so it is used now and 1 to 19 are skipped.
  auto due = schedule.take_due(1'010'000'000);
  REQUIRE(due.has_value());
  CHECK(due->slot == std::optional<std::uint64_t>(20));
  CHECK(due->skipped == 19);
  CHECK_FALSE(schedule.take_due(1'010'000'000).has_value());
  CHECK(schedule.next_slot_ns() == 1'050'000'000);
}

TEST_CASE("slot schedule skips a slot more than half a period late") {
  SlotSchedule schedule(0, 20.0);
  REQUIRE(schedule.take_due(0).has_value());

  // Slot 20 is 40 ms ago: sending it now would put the next probe 10 ms
  // after it, so it is skipped too and slot 21 comes on time.
  auto due = schedule.take_due(1'040'000'000);
  REQUIRE(due.has_value());
  CHECK_FALSE(due->slot.has_value());
  CHECK(due->skipped == 20);
  CHECK(schedule.next_slot_ns() == 1'050'000'000);
  auto next = schedule.take_due(1'050'000'000);
  REQUIRE(next.has_value());
  CHECK(next->slot == std::optional<std::uint64_t>(21));
  CHECK(next->skipped == 0);
}

TEST_CASE("slot schedule with a rate that does not divide a second") {
  SlotSchedule schedule(0, 3.0);
  REQUIRE(schedule.take_due(0).has_value());
  auto due = schedule.take_due(333'333'333);
  REQUIRE(due.has_value());
  CHECK(due->slot == std::optional<std::uint64_t>(1));
  CHECK(schedule.slot_time_ns(3) == 1'000'000'000);
}

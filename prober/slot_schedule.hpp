// Probe slots at fixed CLOCK_MONOTONIC times: slot n is due at
// start + n / rate. Slot times come from the slot number, never from the
// previous wake-up, so the schedule does not drift. After a stall (the
// process was stopped or starved) the missed slots are skipped and counted,
// so probes never go out in a catch-up burst, nor off the grid.
#pragma once

#include <cstdint>
#include <optional>

namespace wanctl::prober {

class SlotSchedule {
 public:
  SlotSchedule(std::int64_t start_ns, double rate_hz) : start_ns_(start_ns), period_ns_(1e9 / rate_hz) {}

  std::int64_t slot_time_ns(std::uint64_t slot) const {
    return start_ns_ + static_cast<std::int64_t>(static_cast<double>(slot) * period_ns_);
  }

  std::int64_t next_slot_ns() const { return slot_time_ns(next_slot_); }
  double period_ns() const { return period_ns_; }

  struct DueSlot {
    std::optional<std::uint64_t> slot;  // the slot to probe in now, if any
    std::uint64_t skipped;              // slots that passed unused
  };

  // Returns what is due at now_ns, or nothing when the next slot lies in the
  // future. The latest due slot is used when now is within half a period
  // of its time. Later than that it is skipped as well, so that probes stay
  // on the grid and are never closer than half a period. Earlier due slots
  // are always skipped.
  std::optional<DueSlot> take_due(std::int64_t now_ns) {
    if (now_ns < next_slot_ns()) {
      return std::nullopt;
    }
    std::uint64_t latest = static_cast<std::uint64_t>(static_cast<double>(now_ns - start_ns_) / period_ns_);
    // Rounding may put `latest` one below a slot that slot_time_ns() calls due.
    while (slot_time_ns(latest + 1) <= now_ns) {
      ++latest;
    }
    if (latest < next_slot_) {
      latest = next_slot_;
    }

    DueSlot due{latest, latest - next_slot_};
    if (static_cast<double>(now_ns - slot_time_ns(latest)) > period_ns_ / 2) {
      due.slot.reset();
      ++due.skipped;
    }
    next_slot_ = latest + 1;
    return due;
  }

 private:
  std::int64_t start_ns_;   // CLOCK_MONOTONIC time of slot 0
  double period_ns_;        // time between slots
  std::uint64_t next_slot_ = 0;
};

}  // namespace wanctl::prober

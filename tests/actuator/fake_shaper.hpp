// A Shaper in memory: records writes, serves reads from settable counters,
// and fails on request, for the control-loop tests.
#pragma once

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "mono_time.hpp"
#include "shaper.hpp"

namespace wanctl::test {

class FakeShaper : public Shaper {
 public:
  struct Side {
    std::optional<std::uint64_t> rate_bps = 50'000'000;
    ShaperCounters counters;
    ShaperStatus read_status = ShaperStatus::ok;
    ShaperStatus write_status = ShaperStatus::ok;
  };

  std::string describe(Direction direction) const override {
    return direction == Direction::download ? "fake download shaper" : "fake upload shaper";
  }

  ShaperReading read(Direction direction) override {
    Side& side = sides[static_cast<int>(direction)];
    ++reads;
    ShaperReading reading;
    reading.time_mono_ns = monotonic_now_ns();
    reading.status = side.read_status;
    if (side.read_status != ShaperStatus::ok) {
      reading.error = "fake read failure";
      return reading;
    }
    reading.rate_bps = side.rate_bps;
    reading.counters = side.counters;
    return reading;
  }

  ShaperWrite write_rate(Direction direction, std::uint64_t rate_bps) override {
    Side& side = sides[static_cast<int>(direction)];
    writes.emplace_back(direction, rate_bps);
    ShaperWrite write;
    write.confirmed_mono_ns = monotonic_now_ns();
    write.status = side.write_status;
    if (side.write_status != ShaperStatus::ok) {
      write.error = "fake write refused";
      return write;
    }
    side.rate_bps = rate_bps;
    write.confirmed_rate_bps = rate_bps;
    return write;
  }

  std::vector<std::uint64_t> writes_for(Direction direction) const {
    std::vector<std::uint64_t> rates;
    for (const auto& [which, rate] : writes) {
      if (which == direction) {
        rates.push_back(rate);
      }
    }
    return rates;
  }

  Side sides[kDirectionCount];
  std::vector<std::pair<Direction, std::uint64_t>> writes;
  int reads = 0;
};

}  // namespace wanctl::test

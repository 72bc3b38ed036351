#include "tc_rate_table.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace wanctl {
namespace {

constexpr double kMicrosecondsPerSecond = 1e6;
constexpr std::uint32_t kAtmCellPayloadBytes = 48;
constexpr std::uint32_t kAtmCellBytes = 53;

}  // namespace

PschedClock PschedClock::parse(const std::string& text) {
  unsigned ticks_to_us = 0;
  unsigned us_to_ticks = 0;
  unsigned clock_resolution = 0;
  if (std::sscanf(text.c_str(), "%x %x %x", &ticks_to_us, &us_to_ticks, &clock_resolution) != 3 ||
      ticks_to_us == 0 || us_to_ticks == 0 || clock_resolution == 0) {
    throw std::runtime_error("/proc/net/psched: expected three hexadecimal numbers, got \"" + text + "\"");
  }

  // With a nanosecond clock the first word is in nanoseconds per tick and
  // the second already gives the tick length, as iproute2 reads it.
  if (clock_resolution == 1'000'000'000U) {
    ticks_to_us = us_to_ticks;
  }
  double clock_factor = static_cast<double>(clock_resolution) / kMicrosecondsPerSecond;
  return PschedClock(static_cast<double>(ticks_to_us) / us_to_ticks * clock_factor);
}

PschedClock PschedClock::from_proc() {
  std::ifstream file("/proc/net/psched");
  std::stringstream text;
  text << file.rdbuf();
  if (!file) {
    throw std::runtime_error("cannot read /proc/net/psched; HTB rates cannot be converted without it");
  }
  return parse(text.str());
}

std::uint32_t PschedClock::transmit_ticks(std::uint64_t rate_bytes_per_s, std::uint64_t size_bytes) const {
  if (rate_bytes_per_s == 0) {
    return std::numeric_limits<std::uint32_t>::max();
  }
  double time_us = kMicrosecondsPerSecond * static_cast<double>(size_bytes) / static_cast<double>(rate_bytes_per_s);
  double ticks = time_us * ticks_per_us_;
  if (ticks >= static_cast<double>(std::numeric_limits<std::uint32_t>::max())) {
    return std::numeric_limits<std::uint32_t>::max();
  }
  return static_cast<std::uint32_t>(ticks);
}

std::uint64_t PschedClock::transmit_bytes(std::uint64_t rate_bytes_per_s, std::uint32_t ticks) const {
  double time_us = static_cast<double>(ticks) / ticks_per_us_;
  return static_cast<std::uint64_t>(std::llround(static_cast<double>(rate_bytes_per_s) * time_us / kMicrosecondsPerSecond));
}

std::uint64_t adjusted_packet_bytes(const tc_ratespec& spec, std::uint64_t size_bytes) {
  if (size_bytes < spec.mpu) {
    size_bytes = spec.mpu;
  }
  if (spec.linklayer == TC_LINKLAYER_ATM) {
    std::uint64_t cells = (size_bytes + kAtmCellPayloadBytes - 1) / kAtmCellPayloadBytes;
    return cells * kAtmCellBytes;
  }
  return size_bytes;
}

std::array<std::uint32_t, 256> build_rate_table(const PschedClock& clock, tc_ratespec& spec,
                                                std::uint64_t rate_bytes_per_s, std::uint32_t mtu_bytes) {
  // The smallest cell size (a power of two) that covers the MTU in 256 cells.
  int cell_log = 0;
  while ((mtu_bytes >> cell_log) > 255) {
    ++cell_log;
  }

  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t cell = 0; cell < table.size(); ++cell) {
    std::uint64_t size = adjusted_packet_bytes(spec, static_cast<std::uint64_t>(cell + 1) << cell_log);
    table[cell] = clock.transmit_ticks(rate_bytes_per_s, size);
  }

  spec.cell_log = static_cast<unsigned char>(cell_log);
  spec.cell_align = -1;
  spec.rate = rate_bytes_per_s >= (1ULL << 32)
                  ? std::numeric_limits<std::uint32_t>::max()
                  : static_cast<std::uint32_t>(rate_bytes_per_s);
  return table;
}

}  // namespace wanctl

// Scheduler ticks, HTB burst buffers and rate tables, against iproute2's figures.
#include <doctest/doctest.h>

#include "htb_class.hpp"
#include "tc_rate_table.hpp"

using namespace wanctl;

namespace {
// /proc/net/psched of a kernel with a nanosecond clock source (6.x).
PschedClock nanosecond_clock() { return PschedClock::parse("000003e8 00000040 000f4240 3b9aca00\n"); }
}  // namespace

TEST_CASE("psched clock ticks per microsecond") {
  CHECK(nanosecond_clock().ticks_per_us() == doctest::Approx(15.625));
  CHECK_THROWS_WITH_AS(PschedClock::parse("garbage"), doctest::Contains("/proc/net/psched"), std::runtime_error);
}

TEST_CASE("psched clock transmit time of a burst") {
  PschedClock clock = nanosecond_clock();
  // tc class ... htb rate 50mbit burst 15k stores buffer 38400 on this clock.
  CHECK(clock.transmit_ticks(6'250'000, 15'360) == 38'400U);
  CHECK(clock.transmit_bytes(6'250'000, 38'400) == 15'360U);
  CHECK(clock.transmit_ticks(0, 1) == UINT32_MAX);
}

TEST_CASE("htb retarget keeps the burst in bytes") {
  PschedClock clock = nanosecond_clock();
  HtbParameters dumped;
  dumped.rate_bytes_per_s = 6'250'000;
  dumped.ceil_bytes_per_s = 6'250'000;
  dumped.options.buffer = 38'400;   // 15360 bytes
  dumped.options.cbuffer = 4'000;   // 1600 bytes
  dumped.options.quantum = 1514;
  dumped.options.prio = 3;

  HtbParameters changed = retarget_htb(clock, dumped, 1'250'000);  // 10 Mbit/s
  CHECK(changed.rate_bytes_per_s == 1'250'000U);
  CHECK(changed.ceil_bytes_per_s == 1'250'000U);
  CHECK(clock.transmit_bytes(1'250'000, changed.options.buffer) == 15'360U);
  CHECK(clock.transmit_bytes(1'250'000, changed.options.cbuffer) == 1'600U);
  CHECK(changed.options.quantum == 1514U);
  CHECK(changed.options.prio == 3U);
}

TEST_CASE("rate table cell size and entries") {
  PschedClock clock = nanosecond_clock();
  tc_ratespec spec{};
  spec.linklayer = TC_LINKLAYER_ETHERNET;
  auto table = build_rate_table(clock, spec, 1'250'000, 1600);
  CHECK(spec.cell_log == 3);  // 1600 bytes in 8-byte cells: fewer than 256
  CHECK(spec.cell_align == -1);
  CHECK(spec.rate == 1'250'000U);
  CHECK(table[0] == clock.transmit_ticks(1'250'000, 8));
  CHECK(table[255] == clock.transmit_ticks(1'250'000, 2048));
}

TEST_CASE("rate table above 32 bits saturates the spec") {
  PschedClock clock = nanosecond_clock();
  tc_ratespec spec{};
  build_rate_table(clock, spec, 5'000'000'000ULL, 1600);  // 40 Gbit/s
  CHECK(spec.rate == UINT32_MAX);
}

TEST_CASE("atm link layer counts whole cells") {
  tc_ratespec spec{};
  spec.linklayer = TC_LINKLAYER_ATM;
  CHECK(adjusted_packet_bytes(spec, 48) == 53U);
  CHECK(adjusted_packet_bytes(spec, 49) == 106U);
  spec.mpu = 96;
  CHECK(adjusted_packet_bytes(spec, 10) == 106U);
}

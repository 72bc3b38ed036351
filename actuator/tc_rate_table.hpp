// Packet-scheduler time units and the rate tables HTB takes from user space.
//
// The kernel measures HTB's burst buffers as the time to send them at the
// class rate, in "ticks" whose length /proc/net/psched gives; iproute2's tc
// uses the same conversion, so values written here read back in tc as the
// administrator expects.
#pragma once

#include <linux/pkt_sched.h>

#include <array>
#include <cstdint>
#include <string>

namespace wanctl {

// Scheduler ticks per microsecond, from /proc/net/psched.
class PschedClock {
 public:
  // Reads /proc/net/psched; throws std::runtime_error naming the file when it
  // is missing or malformed.
  static PschedClock from_proc();
  // "t2us us2t clock_res" as the kernel prints them, in hexadecimal words.
  static PschedClock parse(const std::string& text);

  double ticks_per_us() const { return ticks_per_us_; }

  // Time to send `size_bytes` at `rate_bytes_per_s`, in ticks (saturating).
  std::uint32_t transmit_ticks(std::uint64_t rate_bytes_per_s, std::uint64_t size_bytes) const;
  // Bytes sent in `ticks` at `rate_bytes_per_s`.
  std::uint64_t transmit_bytes(std::uint64_t rate_bytes_per_s, std::uint32_t ticks) const;

 private:
  explicit PschedClock(double ticks_per_us) : ticks_per_us_(ticks_per_us) {}
  double ticks_per_us_;
};

// Bytes on the wire for a packet of `size_bytes` under the rate spec's
// link layer (ATM cells carry 48 payload bytes in 53) and minimum unit.
std::uint64_t adjusted_packet_bytes(const tc_ratespec& spec, std::uint64_t size_bytes);

// Fills `spec.rate` (saturated to 32 bits), cell_log and cell_align for
// `rate_bytes_per_s` and returns the 256-entry table of transmit times per
// size cell that the kernel uses for a link layer it must detect itself.
std::array<std::uint32_t, 256> build_rate_table(const PschedClock& clock, tc_ratespec& spec,
                                                std::uint64_t rate_bytes_per_s, std::uint32_t mtu_bytes);

}  // namespace wanctl

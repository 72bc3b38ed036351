// CAKE's own netlink attributes: the base rate inside TCA_OPTIONS and the
// per-tin statistics inside TCA_STATS_APP (linux/pkt_sched.h, sch_cake.c).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace wanctl {

// One tin's counters and CAKE's sojourn-delay estimates for it.
struct CakeTinStats {
  std::uint64_t sent_bytes = 0;
  std::uint64_t sent_packets = 0;
  std::uint64_t dropped_packets = 0;
  std::uint64_t ecn_marked_packets = 0;
  std::uint32_t backlog_bytes = 0;
  std::uint32_t backlog_packets = 0;
  std::uint32_t peak_delay_us = 0;
  std::uint32_t average_delay_us = 0;
  std::uint32_t base_delay_us = 0;
  std::uint64_t threshold_rate_bytes_per_s = 0;
};

struct CakeStats {
  std::vector<CakeTinStats> tins;  // in tin order: index 0 is the first tin
};

// The delays and marks of all tins folded into one figure each.
struct CakeTinSummary {
  std::int32_t peak_delay_us = -1;     // the largest over tins that carried traffic, -1 when none did
  std::int32_t average_delay_us = -1;  // likewise
  std::uint64_t ecn_marked_packets = 0;
};

// TCA_CAKE_BASE_RATE64 from a CAKE qdisc's TCA_OPTIONS payload, in bytes per
// second (0 means unlimited); nothing when it is absent.
std::optional<std::uint64_t> cake_base_rate_bytes_per_s(std::span<const std::byte> options);

// Parses TCA_STATS_APP of a CAKE qdisc.
CakeStats parse_cake_stats(std::span<const std::byte> app_stats);

CakeTinSummary summarize_tins(const CakeStats& stats);

}  // namespace wanctl

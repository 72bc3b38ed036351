#include "cake_attributes.hpp"

#include <linux/pkt_sched.h>

#include <algorithm>

#include "tc_message.hpp"

namespace wanctl {
namespace {

std::uint64_t u32_or_zero(std::span<const std::byte> payload) { return attribute_u32(payload).value_or(0); }
std::uint64_t u64_or_zero(std::span<const std::byte> payload) { return attribute_u64(payload).value_or(0); }

CakeTinStats parse_tin(std::span<const std::byte> nest) {
  CakeTinStats tin;
  for_each_attribute(nest, [&tin](std::uint16_t type, std::span<const std::byte> payload) {
    switch (type) {
      case TCA_CAKE_TIN_STATS_SENT_BYTES64: tin.sent_bytes = u64_or_zero(payload); break;
      case TCA_CAKE_TIN_STATS_SENT_PACKETS: tin.sent_packets = u32_or_zero(payload); break;
      case TCA_CAKE_TIN_STATS_DROPPED_PACKETS: tin.dropped_packets = u32_or_zero(payload); break;
      case TCA_CAKE_TIN_STATS_ECN_MARKED_PACKETS: tin.ecn_marked_packets = u32_or_zero(payload); break;
      case TCA_CAKE_TIN_STATS_BACKLOG_BYTES: tin.backlog_bytes = static_cast<std::uint32_t>(u32_or_zero(payload)); break;
      case TCA_CAKE_TIN_STATS_BACKLOG_PACKETS: tin.backlog_packets = static_cast<std::uint32_t>(u32_or_zero(payload)); break;
      case TCA_CAKE_TIN_STATS_PEAK_DELAY_US: tin.peak_delay_us = static_cast<std::uint32_t>(u32_or_zero(payload)); break;
      case TCA_CAKE_TIN_STATS_AVG_DELAY_US: tin.average_delay_us = static_cast<std::uint32_t>(u32_or_zero(payload)); break;
      case TCA_CAKE_TIN_STATS_BASE_DELAY_US: tin.base_delay_us = static_cast<std::uint32_t>(u32_or_zero(payload)); break;
      case TCA_CAKE_TIN_STATS_THRESHOLD_RATE64: tin.threshold_rate_bytes_per_s = u64_or_zero(payload); break;
      default: break;
    }
  });
  return tin;
}

}  // namespace

std::optional<std::uint64_t> cake_base_rate_bytes_per_s(std::span<const std::byte> options) {
  std::optional<std::uint64_t> rate;
  for_each_attribute(options, [&rate](std::uint16_t type, std::span<const std::byte> payload) {
    if (type == TCA_CAKE_BASE_RATE64) {
      rate = attribute_u64(payload);
    }
  });
  return rate;
}

CakeStats parse_cake_stats(std::span<const std::byte> app_stats) {
  CakeStats stats;
  for_each_attribute(app_stats, [&stats](std::uint16_t type, std::span<const std::byte> payload) {
    if (type != TCA_CAKE_STATS_TIN_STATS) {
      return;
    }
    // Each tin is a nest whose attribute type is its index plus one.
    for_each_attribute(payload, [&stats](std::uint16_t tin_type, std::span<const std::byte> tin_payload) {
      if (tin_type == 0 || tin_type > TC_CAKE_MAX_TINS) {
        return;
      }
      std::size_t index = tin_type - 1U;
      if (stats.tins.size() <= index) {
        stats.tins.resize(index + 1);
      }
      stats.tins[index] = parse_tin(tin_payload);
    });
  });
  return stats;
}

CakeTinSummary summarize_tins(const CakeStats& stats) {
  CakeTinSummary summary;
  for (const CakeTinStats& tin : stats.tins) {
    summary.ecn_marked_packets += tin.ecn_marked_packets;

    // An idle tin reports stale or zero delays; only tins that sent count.
    if (tin.sent_packets == 0) {
      continue;
    }
    summary.peak_delay_us = std::max(summary.peak_delay_us, static_cast<std::int32_t>(std::min<std::uint32_t>(tin.peak_delay_us, INT32_MAX)));
    summary.average_delay_us = std::max(summary.average_delay_us, static_cast<std::int32_t>(std::min<std::uint32_t>(tin.average_delay_us, INT32_MAX)));
  }
  return summary;
}

}  // namespace wanctl

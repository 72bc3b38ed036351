// CAKE's rate option and tin statistics parsed from real netlink encoding.
#include <doctest/doctest.h>

#include <libmnl/libmnl.h>
#include <linux/gen_stats.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <cstring>
#include <vector>

#include "cake_attributes.hpp"
#include "tc_message.hpp"

using namespace wanctl;

namespace {

struct TinValues {
  std::uint32_t sent_packets;
  std::uint64_t sent_bytes;
  std::uint32_t drops;
  std::uint32_t ecn;
  std::uint32_t peak_us;
  std::uint32_t average_us;
};

// Builds an RTM_NEWQDISC message as sch_cake fills it.
std::vector<char> cake_message(std::uint64_t rate_bytes_per_s, const std::vector<TinValues>& tins) {
  std::vector<char> buffer(8192, 0);
  nlmsghdr* message = mnl_nlmsg_put_header(buffer.data());
  message->nlmsg_type = RTM_NEWQDISC;
  auto* header = static_cast<tcmsg*>(mnl_nlmsg_put_extra_header(message, sizeof(tcmsg)));
  header->tcm_ifindex = 7;
  header->tcm_handle = 0x80010000;
  header->tcm_parent = TC_H_ROOT;
  mnl_attr_put_strz(message, TCA_KIND, "cake");

  nlattr* options = mnl_attr_nest_start(message, TCA_OPTIONS);
  mnl_attr_put_u64(message, TCA_CAKE_BASE_RATE64, rate_bytes_per_s);
  mnl_attr_put_u32(message, TCA_CAKE_DIFFSERV_MODE, CAKE_DIFFSERV_DIFFSERV3);
  mnl_attr_nest_end(message, options);

  nlattr* stats = mnl_attr_nest_start(message, TCA_STATS2);
  // gnet_stats_basic is packed: 8 bytes of bytes, 4 of packets.
  char basic[12];
  std::uint64_t bytes = 123'456'789'012ULL;
  std::uint32_t packets = 4'000'000'000U;
  std::memcpy(basic, &bytes, 8);
  std::memcpy(basic + 8, &packets, 4);
  mnl_attr_put(message, TCA_STATS_BASIC, sizeof(basic), basic);
  mnl_attr_put_u64(message, TCA_STATS_PKT64, 6'000'000'000ULL);
  gnet_stats_queue queue{3, 4500, 17, 0, 9};
  mnl_attr_put(message, TCA_STATS_QUEUE, sizeof(queue), &queue);

  nlattr* app = mnl_attr_nest_start(message, TCA_STATS_APP);
  mnl_attr_put_u64(message, TCA_CAKE_STATS_CAPACITY_ESTIMATE64, rate_bytes_per_s);
  nlattr* tin_list = mnl_attr_nest_start(message, TCA_CAKE_STATS_TIN_STATS);
  for (std::size_t i = 0; i < tins.size(); ++i) {
    nlattr* tin = mnl_attr_nest_start(message, static_cast<std::uint16_t>(i + 1));
    mnl_attr_put_u32(message, TCA_CAKE_TIN_STATS_SENT_PACKETS, tins[i].sent_packets);
    mnl_attr_put_u64(message, TCA_CAKE_TIN_STATS_SENT_BYTES64, tins[i].sent_bytes);
    mnl_attr_put_u32(message, TCA_CAKE_TIN_STATS_DROPPED_PACKETS, tins[i].drops);
    mnl_attr_put_u32(message, TCA_CAKE_TIN_STATS_ECN_MARKED_PACKETS, tins[i].ecn);
    mnl_attr_put_u32(message, TCA_CAKE_TIN_STATS_PEAK_DELAY_US, tins[i].peak_us);
    mnl_attr_put_u32(message, TCA_CAKE_TIN_STATS_AVG_DELAY_US, tins[i].average_us);
    mnl_attr_nest_end(message, tin);
  }
  mnl_attr_nest_end(message, tin_list);
  mnl_attr_nest_end(message, app);
  mnl_attr_nest_end(message, stats);

  buffer.resize(message->nlmsg_len);
  return buffer;
}

}  // namespace

TEST_CASE("tc message parses kind, handle and stats") {
  std::vector<char> buffer = cake_message(12'500'000, {{10, 15000, 1, 2, 900, 300}});
  auto object = parse_tc_message(reinterpret_cast<const nlmsghdr*>(buffer.data()));
  REQUIRE(object);
  CHECK(object->kind == "cake");
  CHECK(object->ifindex == 7);
  CHECK(object->handle == 0x80010000U);
  CHECK(format_tc_handle(object->handle) == "8001:0");
  REQUIRE(object->basic);
  CHECK(object->basic->bytes == 123'456'789'012ULL);
  CHECK(object->basic->packets == 6'000'000'000ULL);  // the 64-bit count wins
  REQUIRE(object->queue);
  CHECK(object->queue->drops == 17U);
  CHECK(object->queue->backlog_bytes == 4500U);
  CHECK(object->queue->queue_packets == 3U);
}

TEST_CASE("cake base rate from options") {
  std::vector<char> buffer = cake_message(12'500'000, {});
  auto object = parse_tc_message(reinterpret_cast<const nlmsghdr*>(buffer.data()));
  REQUIRE(object);
  CHECK(cake_base_rate_bytes_per_s(object->options) == 12'500'000U);
  CHECK_FALSE(cake_base_rate_bytes_per_s({}));
}

TEST_CASE("cake tin stats summary ignores idle tins") {
  std::vector<char> buffer = cake_message(1, {{0, 0, 0, 0, 50'000, 40'000},   // idle bulk tin, stale delays
                                              {100, 150'000, 3, 5, 2'000, 700},
                                              {20, 3'000, 0, 1, 400, 100}});
  auto object = parse_tc_message(reinterpret_cast<const nlmsghdr*>(buffer.data()));
  REQUIRE(object);
  CakeStats stats = parse_cake_stats(object->app_stats);
  REQUIRE(stats.tins.size() == 3);
  CHECK(stats.tins[1].sent_bytes == 150'000U);
  CHECK(stats.tins[1].dropped_packets == 3U);
  CakeTinSummary summary = summarize_tins(stats);
  CHECK(summary.peak_delay_us == 2'000);
  CHECK(summary.average_delay_us == 700);
  CHECK(summary.ecn_marked_packets == 6U);
}

TEST_CASE("cake tin summary unknown without traffic") {
  CakeTinSummary summary = summarize_tins(CakeStats{});
  CHECK(summary.peak_delay_us == -1);
  CHECK(summary.average_delay_us == -1);
}

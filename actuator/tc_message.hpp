// A qdisc or class as the kernel reports it in an RTM_NEWQDISC or
// RTM_NEWTCLASS message, with the attributes the actuator reads copied out so
// they outlive the receive buffer.
#pragma once

#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace wanctl {

struct TcBasicStats {
  std::uint64_t bytes = 0;    // sent since the qdisc or class was created
  std::uint64_t packets = 0;
};

struct TcQueueStats {
  std::uint32_t queue_packets = 0;
  std::uint32_t backlog_bytes = 0;
  std::uint32_t drops = 0;
  std::uint32_t requeues = 0;
  std::uint32_t overlimits = 0;
};

struct TcObject {
  int ifindex = 0;
  std::uint32_t handle = 0;   // qdisc handle or class id, major in the upper 16 bits
  std::uint32_t parent = 0;
  std::string kind;           // "cake", "htb", "noqueue", ...
  std::vector<std::byte> options;    // payload of TCA_OPTIONS: the kind's own attributes
  std::optional<TcBasicStats> basic;
  std::optional<TcQueueStats> queue;
  std::vector<std::byte> app_stats;  // payload of TCA_STATS2/TCA_STATS_APP: the kind's own statistics
};

// Parses a tc message; returns nothing for a message too short to be one.
std::optional<TcObject> parse_tc_message(const nlmsghdr* message);

// Calls `visit(type, payload)` for each netlink attribute in `buffer`, which
// holds a sequence of attributes (a nest's payload). Stops at a malformed one.
void for_each_attribute(std::span<const std::byte> buffer,
                        const std::function<void(std::uint16_t type, std::span<const std::byte> payload)>& visit);

// Reads a fixed-size integer attribute payload; nothing when the size differs.
std::optional<std::uint64_t> attribute_u64(std::span<const std::byte> payload);
std::optional<std::uint32_t> attribute_u32(std::span<const std::byte> payload);

// "1:10" for 0x00010010, as tc prints handles.
std::string format_tc_handle(std::uint32_t handle);

}  // namespace wanctl

#include "tc_message.hpp"

#include <libmnl/libmnl.h>
#include <linux/gen_stats.h>
#include <linux/rtnetlink.h>

#include <cstdio>
#include <cstring>

namespace wanctl {
namespace {

std::span<const std::byte> payload_of(const nlattr* attribute) {
  return {static_cast<const std::byte*>(mnl_attr_get_payload(attribute)), mnl_attr_get_payload_len(attribute)};
}

// gnet_stats_basic is packed (u64 then u32) and may sit unaligned in the
// message, so it is copied out field by field.
TcBasicStats read_basic(std::span<const std::byte> payload) {
  TcBasicStats stats;
  if (payload.size() >= sizeof(std::uint64_t) + sizeof(std::uint32_t)) {
    std::uint32_t packets = 0;
    std::memcpy(&stats.bytes, payload.data(), sizeof(std::uint64_t));
    std::memcpy(&packets, payload.data() + sizeof(std::uint64_t), sizeof(std::uint32_t));
    stats.packets = packets;
  }
  return stats;
}

void read_stats2(std::span<const std::byte> nest, TcObject& object) {
  std::optional<std::uint64_t> packets64;
  for_each_attribute(nest, [&](std::uint16_t type, std::span<const std::byte> payload) {
    switch (type) {
      case TCA_STATS_BASIC:
        object.basic = read_basic(payload);
        break;
      case TCA_STATS_PKT64:
        packets64 = attribute_u64(payload);
        break;
      case TCA_STATS_QUEUE:
        if (payload.size() >= sizeof(gnet_stats_queue)) {
          gnet_stats_queue queue{};
          std::memcpy(&queue, payload.data(), sizeof(queue));
          object.queue = TcQueueStats{queue.qlen, queue.backlog, queue.drops, queue.requeues, queue.overlimits};
        }
        break;
      case TCA_STATS_APP:
        object.app_stats.assign(payload.begin(), payload.end());
        break;
      default:
        break;
    }
  });

  // The 32-bit packet count in gnet_stats_basic wraps; the kernel sends the
  // full count separately.
  if (object.basic && packets64) {
    object.basic->packets = *packets64;
  }
}

}  // namespace

void for_each_attribute(std::span<const std::byte> buffer,
                        const std::function<void(std::uint16_t, std::span<const std::byte>)>& visit) {
  const std::byte* end = buffer.data() + buffer.size();
  for (const auto* attribute = reinterpret_cast<const nlattr*>(buffer.data());
       mnl_attr_ok(attribute, static_cast<int>(end - reinterpret_cast<const std::byte*>(attribute)));
       attribute = mnl_attr_next(attribute)) {
    visit(mnl_attr_get_type(attribute), payload_of(attribute));
  }
}

std::optional<std::uint64_t> attribute_u64(std::span<const std::byte> payload) {
  if (payload.size() != sizeof(std::uint64_t)) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  std::memcpy(&value, payload.data(), sizeof(value));
  return value;
}

std::optional<std::uint32_t> attribute_u32(std::span<const std::byte> payload) {
  if (payload.size() != sizeof(std::uint32_t)) {
    return std::nullopt;
  }
  std::uint32_t value = 0;
  std::memcpy(&value, payload.data(), sizeof(value));
  return value;
}

std::optional<TcObject> parse_tc_message(const nlmsghdr* message) {
  if (mnl_nlmsg_get_payload_len(message) < sizeof(tcmsg)) {
    return std::nullopt;
  }
  const auto* header = static_cast<const tcmsg*>(mnl_nlmsg_get_payload(message));
  TcObject object;
  object.ifindex = header->tcm_ifindex;
  object.handle = header->tcm_handle;
  object.parent = header->tcm_parent;

  const auto* begin = static_cast<const std::byte*>(mnl_nlmsg_get_payload_offset(message, sizeof(tcmsg)));
  const auto* end = static_cast<const std::byte*>(mnl_nlmsg_get_payload_tail(message));
  if (end < begin) {
    return std::nullopt;
  }
  for_each_attribute({begin, end}, [&object](std::uint16_t type, std::span<const std::byte> payload) {
    switch (type) {
      case TCA_KIND:
        object.kind.assign(reinterpret_cast<const char*>(payload.data()),
                           ::strnlen(reinterpret_cast<const char*>(payload.data()), payload.size()));
        break;
      case TCA_OPTIONS:
        object.options.assign(payload.begin(), payload.end());
        break;
      case TCA_STATS2:
        read_stats2(payload, object);
        break;
      default:
        break;
    }
  });
  return object;
}

std::string format_tc_handle(std::uint32_t handle) {
  char text[16];
  std::snprintf(text, sizeof(text), "%x:%x", handle >> 16, handle & 0xffff);
  return text;
}

}  // namespace wanctl

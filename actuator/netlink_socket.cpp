#include "netlink_socket.hpp"

#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace wanctl {
namespace {

// Large enough for a qdisc or class dump batch: the kernel fills at most
// this many bytes per read and continues the dump in the next one.
constexpr std::size_t kReceiveBufferBytes = 64 * 1024;
constexpr std::size_t kSendBufferBytes = 8 * 1024;

void set_option(mnl_socket* socket, int option, int value) {
  if (mnl_socket_setsockopt(socket, option, &value, sizeof(value)) < 0) {
    throw std::system_error(errno, std::generic_category(), "cannot set netlink socket option " + std::to_string(option));
  }
}

// The kernel's human-readable reason in an extended acknowledgement.
std::string extended_ack_message(const nlmsghdr* message) {
  const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
  if ((message->nlmsg_flags & NLM_F_ACK_TLVS) == 0) {
    return {};
  }

  // Without NLM_F_CAPPED the request's whole payload sits between the error
  // header and the attributes.
  std::size_t offset = sizeof(nlmsgerr);
  if ((message->nlmsg_flags & NLM_F_CAPPED) == 0) {
    offset += error->msg.nlmsg_len - sizeof(nlmsghdr);
  }
  std::size_t payload_bytes = mnl_nlmsg_get_payload_len(message);
  if (offset >= payload_bytes) {
    return {};
  }

  const char* end = static_cast<const char*>(mnl_nlmsg_get_payload(message)) + payload_bytes;
  for (const auto* attribute = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(message, offset));
       mnl_attr_ok(attribute, static_cast<int>(end - reinterpret_cast<const char*>(attribute)));
       attribute = mnl_attr_next(attribute)) {
    if (mnl_attr_get_type(attribute) == NLMSGERR_ATTR_MSG && mnl_attr_validate(attribute, MNL_TYPE_NUL_STRING) == 0) {
      return mnl_attr_get_str(attribute);
    }
  }
  return {};
}

}  // namespace

std::string NetlinkResult::describe() const {
  if (error == 0) {
    return "ok";
  }
  std::string text = std::strerror(-error);
  if (!message.empty()) {
    text += " (kernel: " + message + ")";
  }
  return text;
}

NetlinkSocket::NetlinkSocket(std::chrono::milliseconds reply_timeout)
    : send_buffer_(kSendBufferBytes), receive_buffer_(kReceiveBufferBytes) {
  socket_ = mnl_socket_open(NETLINK_ROUTE);
  if (socket_ == nullptr) {
    throw std::system_error(errno, std::generic_category(), "cannot open an rtnetlink socket");
  }
  try {
    set_option(socket_, NETLINK_EXT_ACK, 1);
    set_option(socket_, NETLINK_CAP_ACK, 1);

    // A reply that never comes must not stall the actuator.
    timeval timeout{};
    timeout.tv_sec = static_cast<time_t>(reply_timeout.count() / 1000);
    timeout.tv_usec = static_cast<suseconds_t>((reply_timeout.count() % 1000) * 1000);
    if (::setsockopt(mnl_socket_get_fd(socket_), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) < 0) {
      throw std::system_error(errno, std::generic_category(), "cannot set the netlink receive timeout");
    }

    if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
      throw std::system_error(errno, std::generic_category(), "cannot bind the rtnetlink socket");
    }
  } catch (...) {
    mnl_socket_close(socket_);
    throw;
  }
  port_id_ = mnl_socket_get_portid(socket_);
}

NetlinkSocket::~NetlinkSocket() {
  if (socket_ != nullptr) {
    mnl_socket_close(socket_);
  }
}

nlmsghdr* NetlinkSocket::start_request(std::uint16_t type, std::uint16_t flags) {
  std::memset(send_buffer_.data(), 0, send_buffer_.size());
  nlmsghdr* message = mnl_nlmsg_put_header(send_buffer_.data());
  message->nlmsg_type = type;
  message->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
  message->nlmsg_seq = ++sequence_;
  return message;
}

NetlinkResult NetlinkSocket::transact(nlmsghdr* request, const std::function<void(const nlmsghdr*)>& on_reply) {
  if (mnl_socket_sendto(socket_, request, request->nlmsg_len) < 0) {
    return {-errno, "sending the request failed"};
  }

  const std::uint32_t sequence = request->nlmsg_seq;
  for (;;) {
    ssize_t received = mnl_socket_recvfrom(socket_, receive_buffer_.data(), receive_buffer_.size());
    if (received < 0) {
      if (errno == EINTR) {
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return {-ETIMEDOUT, "no reply from the kernel"};
      }
      return {-errno, "receiving the reply failed"};
    }

    int remaining = static_cast<int>(received);
    for (auto* message = reinterpret_cast<const nlmsghdr*>(receive_buffer_.data()); mnl_nlmsg_ok(message, remaining);
         message = mnl_nlmsg_next(message, &remaining)) {
      if (message->nlmsg_seq != sequence || message->nlmsg_pid != port_id_) {
        continue;  // left over from an earlier request that timed out
      }

      if (message->nlmsg_type == NLMSG_ERROR) {
        if (mnl_nlmsg_get_payload_len(message) < sizeof(nlmsgerr)) {
          return {-EBADMSG, "truncated acknowledgement"};
        }
        const auto* error = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(message));
        return {error->error, error->error != 0 ? extended_ack_message(message) : std::string()};
      }
      if (message->nlmsg_type == NLMSG_DONE) {
        int status = 0;
        if (mnl_nlmsg_get_payload_len(message) >= sizeof(int)) {
          std::memcpy(&status, mnl_nlmsg_get_payload(message), sizeof(int));
        }
        return {status < 0 ? status : 0, {}};
      }
      on_reply(message);
    }
  }
}

}  // namespace wanctl

namespace wanctl {

NetlinkResult NetlinkSocket::interface_index(const std::string& name, int& ifindex) {
  ifindex = 0;
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return {};
  }
  nlmsghdr* request = start_request(RTM_GETLINK, NLM_F_ACK);
  auto* header = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(request, sizeof(ifinfomsg)));
  header->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(request, IFLA_IFNAME, name.c_str());
  // Only the index is needed; without this filter the kernel also sends
  // every per-VF and statistics attribute.
  mnl_attr_put_u32(request, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

  NetlinkResult result = transact(request, [&ifindex](const nlmsghdr* reply) {
    if (reply->nlmsg_type == RTM_NEWLINK && mnl_nlmsg_get_payload_len(reply) >= sizeof(ifinfomsg)) {
      ifindex = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(reply))->ifi_index;
    }
  });
  if (result.error == -ENODEV) {
    return {};  // no such interface: index 0
  }
  return result;
}

}  // namespace wanctl

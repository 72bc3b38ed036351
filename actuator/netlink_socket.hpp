// One rtnetlink socket for every request the actuator sends to the kernel.
//
// Requests are synchronous: send one message, then read replies until the
// kernel's acknowledgement or the end of a dump. Every request asks for an
// acknowledgement (or is a dump), so a change counts as applied only when
// the kernel acknowledged it. Extended acknowledgements are on, so a rejected
// change carries the kernel's own reason ("Specified qdisc kind is unknown").
#pragma once

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace wanctl {

// The outcome of one request: 0 or the kernel's negative errno, with the
// kernel's extended-ack message when it sent one.
struct NetlinkResult {
  int error = 0;
  std::string message;

  bool ok() const { return error == 0; }
  // "Invalid argument (kernel: Specified qdisc kind is unknown)".
  std::string describe() const;
};

class NetlinkSocket {
 public:
  // Opens and binds a NETLINK_ROUTE socket; throws std::system_error.
  explicit NetlinkSocket(std::chrono::milliseconds reply_timeout = std::chrono::milliseconds(1000));
  ~NetlinkSocket();
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;

  // Starts a request message in the socket's send buffer and returns it
  // with type, flags and a fresh sequence number set.
  nlmsghdr* start_request(std::uint16_t type, std::uint16_t flags);
  std::size_t send_capacity() const { return send_buffer_.size(); }

  // Sends the message from start_request() and passes each reply that is not
  // an error or end-of-dump marker to `on_reply`. Replies of earlier requests
  // that timed out are skipped by sequence number.
  NetlinkResult transact(nlmsghdr* request, const std::function<void(const nlmsghdr*)>& on_reply);

  // Returns the interface index of `name` in the socket's network namespace,
  // 0 when no such interface exists; a failed request gives its error.
  NetlinkResult interface_index(const std::string& name, int& ifindex);

 private:
  mnl_socket* socket_ = nullptr;
  std::uint32_t port_id_ = 0;
  std::uint32_t sequence_ = 0;
  std::vector<char> send_buffer_;
  std::vector<char> receive_buffer_;
};

}  // namespace wanctl

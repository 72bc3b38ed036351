// The root CAKE qdisc of one interface, driven over rtnetlink.
//
// The qdisc is found by dumping the interface's qdiscs and its handle is
// pinned, so that a change can only ever modify that CAKE. The change message
// carries the pinned handle and kind "cake", and the kernel rejects it when
// the root is now something else. A change with handle 0 could make the kernel
// graft a fresh default CAKE in place of a non-CAKE root, so none is sent.
// Only TCA_CAKE_BASE_RATE64 goes into the change; every other CAKE setting
// (diffserv, overhead, flow mode, ...) stays as the administrator set it.
#pragma once

#include <cstdint>
#include <string>

#include "netlink_socket.hpp"
#include "shaper.hpp"

namespace wanctl {

class CakeQdisc {
 public:
  CakeQdisc(NetlinkSocket& socket, std::string interface);

  // Dumps the interface's qdiscs and pins the root CAKE. A missing interface
  // or a root of another kind gives status missing and an explanation.
  ShaperReading locate();

  // Reads the pinned qdisc's rate and counters; locates it first when needed.
  ShaperReading read();

  // Changes the base rate; confirmed by the kernel's acknowledgement.
  ShaperWrite set_rate(std::uint64_t rate_bps);

  const std::string& interface() const { return interface_; }
  bool pinned() const { return handle_ != 0; }
  std::uint32_t handle() const { return handle_; }

 private:
  ShaperReading fail(ShaperStatus status, std::string error);
  void unpin() { handle_ = 0; ifindex_ = 0; }

  NetlinkSocket& socket_;
  std::string interface_;
  int ifindex_ = 0;
  std::uint32_t handle_ = 0;  // pinned root CAKE handle, 0 while none is pinned
};

}  // namespace wanctl

// The prober's sockets, one per address family in use, and their life
// cycle: the first open decides between a raw and an unprivileged socket;
// when the interface disappears (a WAN restart, a PPPoE redial) or comes
// back with a new index, the sockets are closed and reopened with the same
// kind and options, retried with backoff until it works.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "probe_socket.hpp"
#include "prober_config.hpp"

namespace wanctl::prober {

class Egress {
 public:
  Egress(const ProberConfig& config, std::uint16_t identifier);

  // Opens the first sockets. With socket = "auto" a raw socket is tried
  // first and an unprivileged one when the raw one is not permitted.
  // Throws SocketError when no kind works.
  void open_first();

  // Opens the sockets again with the kind chosen first. Throws SocketError.
  void reopen();

  void close();
  bool is_open() const { return !sockets_.empty(); }
  SocketKind kind() const { return kind_; }

  // Returns the socket for the family, or nullptr when closed.
  ProbeSocket* socket(std::uint8_t family);
  std::vector<ProbeSocket>& sockets() { return sockets_; }

  // Returns why the open sockets no longer reach the configured interface
  // (gone, or replaced by one with another index), or nothing.
  std::optional<std::string> interface_problem() const;

  // True for a send error that means the interface or source address is
  // gone, so the sockets must be reopened rather than the probe failed.
  static bool is_interface_error(int error_number);

 private:
  void open_kind(SocketKind kind);

  SocketOptions options_;
  std::vector<std::uint8_t> families_;  // address families of the reflectors
  SocketMode mode_;
  SocketKind kind_ = SocketKind::raw;
  std::uint16_t identifier_;
  std::vector<ProbeSocket> sockets_;
};

}  // namespace wanctl::prober

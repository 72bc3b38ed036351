// One ICMP socket of one address family, set up for probing: raw (needs
// CAP_NET_RAW, sends echo and timestamp) or unprivileged (an ICMP datagram
// socket, allowed by net.ipv4.ping_group_range, echo only). Both get kernel
// receive timestamps (SO_TIMESTAMPNS) and may be bound to an interface, a
// source address and a firewall mark, so probes leave through the WAN being
// measured. A raw socket filters in the kernel, by ICMP type (ICMP_FILTER,
// ICMP6_FILTER) and by echo identifier (a classic BPF socket filter), so
// that unrelated ICMP traffic, other programs' pings included, does not
// wake the prober.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "icmp_message.hpp"
#include "prober_config.hpp"

namespace wanctl::prober {

enum class SocketKind : std::uint8_t { raw, unprivileged };

std::string_view to_string(SocketKind kind);

// Failure to open or set up a socket; `error_number` is the errno.
class SocketError : public std::runtime_error {
 public:
  SocketError(const std::string& message, int error_number)
      : std::runtime_error(message), error_number_(error_number) {}
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

struct SocketOptions {
  std::string interface;                   // empty: not bound to a device
  std::optional<IpAddress> source_address;
  std::uint32_t fwmark = 0;                // 0: not set
};

// One datagram read from the socket, parsed.
struct Received {
  std::optional<ReceivedIcmp> icmp;        // nothing: not ours to handle
  std::int64_t kernel_realtime_ns = 0;     // SO_TIMESTAMPNS, 0 when missing
};

class ProbeSocket {
 public:
  // Opens and sets up the socket; throws SocketError naming the step, the
  // option value and the errno text. A raw socket sends and accepts
  // `identifier`; an unprivileged one gets its identifier from the kernel.
  static ProbeSocket open(std::uint8_t family, SocketKind kind, const SocketOptions& options,
                          std::uint16_t identifier);

  ProbeSocket(ProbeSocket&& other) noexcept;
  ProbeSocket& operator=(ProbeSocket&& other) noexcept;
  ProbeSocket(const ProbeSocket&) = delete;
  ProbeSocket& operator=(const ProbeSocket&) = delete;
  ~ProbeSocket();

  int fd() const { return fd_; }
  std::uint8_t family() const { return family_; }
  SocketKind kind() const { return kind_; }
  // Interface index the socket is bound to, 0 when unbound.
  int bound_ifindex() const { return bound_ifindex_; }

  // The identifier replies carry: ours on a raw socket, the one the kernel
  // assigned on an unprivileged socket.
  std::uint16_t identifier() const { return identifier_; }

  // Sends one request. Returns 0 or the errno of the failure.
  int send(const IpAddress& destination, std::span<const std::uint8_t> message);

  // Datagrams read by one receive_batch() call at most.
  static constexpr std::size_t kBatchSize = 8;

  // Appends the datagrams already queued, up to kBatchSize, to `received`
  // with one recvmmsg call, and returns how many were read (0 when none
  // was queued). Throws SocketError on a failure other than EAGAIN.
  std::size_t receive_batch(std::vector<Received>& received);

  // Reads one message from the error queue (MSG_ERRQUEUE), where an
  // unprivileged socket reports ICMP errors. Returns nothing when it is
  // empty; throws SocketError on any other failure.
  std::optional<Received> receive_error();

 private:
  struct Buffers;

  ProbeSocket(int fd, std::uint8_t family, SocketKind kind);

  void apply_options(const SocketOptions& options);
  void learn_kernel_identifier();
  Received parse_received(const msghdr& message, std::size_t length, bool error_queue) const;
  std::optional<ReceivedIcmp> parse_message(std::span<const std::uint8_t> data, const IpAddress& source) const;

  int fd_ = -1;
  std::uint8_t family_ = 0;
  SocketKind kind_ = SocketKind::raw;
  int bound_ifindex_ = 0;
  std::uint16_t identifier_ = 0;
  std::unique_ptr<Buffers> buffers_;  // receive buffers, kept to avoid a 20 KB stack frame per read
};

}  // namespace wanctl::prober

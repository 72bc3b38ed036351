#include "probe_socket.hpp"

// net/if.h comes before the linux/ headers, so that linux/if.h finds glibc's
// definitions and does not repeat them.
#include <net/if.h>

#include <arpa/inet.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "mono_time.hpp"

namespace wanctl::prober {
namespace {

constexpr std::size_t kReceiveBufferBytes = 2048;
constexpr std::size_t kControlBufferBytes = 256;

std::string errno_text(int error_number) { return std::strerror(error_number); }

std::string family_name(std::uint8_t family) { return family == AF_INET6 ? "ICMPv6" : "ICMP"; }

socklen_t fill_sockaddr(const IpAddress& address, sockaddr_storage& storage) {
  std::memset(&storage, 0, sizeof(storage));
  if (address.family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, address.bytes.data(), 16);
    return sizeof(sockaddr_in6);
  }
  auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
  in4->sin_family = AF_INET;
  std::memcpy(&in4->sin_addr, address.bytes.data(), 4);
  return sizeof(sockaddr_in);
}

IpAddress from_sockaddr(const sockaddr* address) {
  IpAddress result;
  if (address->sa_family == AF_INET6) {
    result.family = AF_INET6;
    std::memcpy(result.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  } else if (address->sa_family == AF_INET) {
    result.family = AF_INET;
    std::memcpy(result.bytes.data(), &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
  }
  return result;
}

void set_int_option(int fd, int level, int name, int value, const std::string& what) {
  if (::setsockopt(fd, level, name, &value, sizeof(value)) != 0) {
    int error_number = errno;
    throw SocketError("cannot set " + what + ": " + errno_text(error_number), error_number);
  }
}

// Lets through only the ICMP types that can reply to or quote our requests.
void set_icmp_filter(int fd, std::uint8_t family) {
  if (family == AF_INET) {
    icmp_filter filter{};
    filter.data = ~((1u << kIcmpEchoReply) | (1u << kIcmpDestinationUnreachable) | (1u << kIcmpTimeExceeded) |
                    (1u << kIcmpTimestampReply));
    if (::setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter)) != 0) {
      int error_number = errno;
      throw SocketError("cannot set ICMP_FILTER: " + errno_text(error_number), error_number);
    }
    return;
  }
  icmp6_filter filter{};
  ICMP6_FILTER_SETBLOCKALL(&filter);
  ICMP6_FILTER_SETPASS(kIcmp6EchoReply, &filter);
  ICMP6_FILTER_SETPASS(kIcmp6DestinationUnreachable, &filter);
  ICMP6_FILTER_SETPASS(kIcmp6PacketTooBig, &filter);
  ICMP6_FILTER_SETPASS(kIcmp6TimeExceeded, &filter);
  if (::setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter)) != 0) {
    int error_number = errno;
    throw SocketError("cannot set ICMP6_FILTER: " + errno_text(error_number), error_number);
  }
}

// Accepts only ICMP errors (their quote is checked later) and messages that
// carry our identifier, so that replies to other programs' pings are dropped
// in the kernel. On a raw IPv4 socket the datagram starts with the IP
// header, whose length the program loads first; ICMPv6 sockets deliver
// the ICMPv6 message alone.
void set_identifier_filter(int fd, std::uint8_t family, std::uint16_t identifier) {
  constexpr std::uint32_t kAccept = 0xffff'ffff;
  constexpr std::uint32_t kDrop = 0;
  std::vector<sock_filter> program;
  if (family == AF_INET) {
    program = {
        BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),                      // X = IP header length
        BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),                       // A = ICMP type
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIcmpDestinationUnreachable, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIcmpTimeExceeded, 3, 0),
        BPF_STMT(BPF_LD | BPF_H | BPF_IND, 4),                       // A = identifier
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, identifier, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, kDrop),
        BPF_STMT(BPF_RET | BPF_K, kAccept),
    };
  } else {
    program = {
        BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),                       // A = ICMPv6 type
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIcmp6DestinationUnreachable, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIcmp6PacketTooBig, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, kIcmp6TimeExceeded, 3, 0),
        BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 4),                       // A = identifier
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, identifier, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, kDrop),
        BPF_STMT(BPF_RET | BPF_K, kAccept),
    };
  }
  sock_fprog filter{static_cast<unsigned short>(program.size()), program.data()};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof(filter)) != 0) {
    int error_number = errno;
    throw SocketError("cannot attach the identifier filter (SO_ATTACH_FILTER): " + errno_text(error_number),
                      error_number);
  }
}

}  // namespace

std::string_view to_string(SocketKind kind) { return kind == SocketKind::raw ? "raw" : "unprivileged"; }

// Per-datagram buffers of one recvmmsg call.
struct ProbeSocket::Buffers {
  std::array<std::array<std::uint8_t, kReceiveBufferBytes>, kBatchSize> data;
  struct alignas(cmsghdr) Control {
    std::array<std::uint8_t, kControlBufferBytes> bytes;
  };
  std::array<Control, kBatchSize> control;
  std::array<sockaddr_storage, kBatchSize> source;
  std::array<iovec, kBatchSize> vectors;
  std::array<mmsghdr, kBatchSize> messages;

  // Points every header at its buffers again; recvmmsg shortens the
  // name and control lengths it fills.
  void reset(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      vectors[i] = iovec{data[i].data(), data[i].size()};
      msghdr& header = messages[i].msg_hdr;
      header = msghdr{};
      header.msg_name = &source[i];
      header.msg_namelen = sizeof(source[i]);
      header.msg_iov = &vectors[i];
      header.msg_iovlen = 1;
      header.msg_control = control[i].bytes.data();
      header.msg_controllen = control[i].bytes.size();
      messages[i].msg_len = 0;
    }
  }
};

ProbeSocket::ProbeSocket(int fd, std::uint8_t family, SocketKind kind)
    : fd_(fd), family_(family), kind_(kind), buffers_(std::make_unique<Buffers>()) {}

ProbeSocket ProbeSocket::open(std::uint8_t family, SocketKind kind, const SocketOptions& options,
                              std::uint16_t identifier) {
  int type = kind == SocketKind::raw ? SOCK_RAW : SOCK_DGRAM;
  int protocol = family == AF_INET6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
  int fd = ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    int error_number = errno;
    std::string hint = kind == SocketKind::raw
                           ? "; a raw socket needs CAP_NET_RAW (run as root or grant the capability)"
                           : "; an unprivileged ICMP socket needs the process's group inside "
                             "net.ipv4.ping_group_range";
    throw SocketError("cannot open " + std::string(to_string(kind)) + " " + family_name(family) +
                          " socket: " + errno_text(error_number) + hint,
                      error_number);
  }

  ProbeSocket socket(fd, family, kind);
  socket.identifier_ = identifier;
  socket.apply_options(options);
  return socket;
}

void ProbeSocket::apply_options(const SocketOptions& options) {
  if (kind_ == SocketKind::raw) {
    set_icmp_filter(fd_, family_);
    set_identifier_filter(fd_, family_, identifier_);
  } else if (family_ == AF_INET) {
    set_int_option(fd_, IPPROTO_IP, IP_RECVERR, 1, "IP_RECVERR");
  } else {
    set_int_option(fd_, IPPROTO_IPV6, IPV6_RECVERR, 1, "IPV6_RECVERR");
  }
  set_int_option(fd_, SOL_SOCKET, SO_TIMESTAMPNS, 1, "SO_TIMESTAMPNS");

  if (!options.interface.empty()) {
    if (::setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, options.interface.c_str(),
                     static_cast<socklen_t>(options.interface.size())) != 0) {
      int error_number = errno;
      throw SocketError("cannot bind to interface " + options.interface + " (SO_BINDTODEVICE): " +
                            errno_text(error_number),
                        error_number);
    }
    bound_ifindex_ = static_cast<int>(::if_nametoindex(options.interface.c_str()));
  }

  if (options.fwmark != 0) {
    int mark = static_cast<int>(options.fwmark);
    if (::setsockopt(fd_, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
      int error_number = errno;
      throw SocketError("cannot set firewall mark " + std::to_string(options.fwmark) + " (SO_MARK): " +
                            errno_text(error_number) + "; it needs CAP_NET_RAW or CAP_NET_ADMIN",
                        error_number);
    }
  }

  if (options.source_address && options.source_address->family == family_) {
    sockaddr_storage address{};
    socklen_t length = fill_sockaddr(*options.source_address, address);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      int error_number = errno;
      throw SocketError("cannot bind to source address " + to_string(*options.source_address) + ": " +
                            errno_text(error_number),
                        error_number);
    }
  } else if (kind_ == SocketKind::unprivileged) {
    // Binding with port 0 makes the kernel pick the identifier now.
    IpAddress any;
    any.family = family_;
    sockaddr_storage address{};
    socklen_t length = fill_sockaddr(any, address);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
      int error_number = errno;
      throw SocketError("cannot bind the unprivileged ICMP socket: " + errno_text(error_number), error_number);
    }
  }

  if (kind_ == SocketKind::unprivileged) {
    learn_kernel_identifier();
  }
}

void ProbeSocket::learn_kernel_identifier() {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error_number = errno;
    throw SocketError("cannot read the ICMP identifier (getsockname): " + errno_text(error_number), error_number);
  }
  // The kernel uses the socket's port as the echo identifier.
  if (address.ss_family == AF_INET6) {
    identifier_ = ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port);
  } else {
    identifier_ = ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port);
  }
}

ProbeSocket::ProbeSocket(ProbeSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      family_(other.family_),
      kind_(other.kind_),
      bound_ifindex_(other.bound_ifindex_),
      identifier_(other.identifier_),
      buffers_(std::move(other.buffers_)) {}

ProbeSocket& ProbeSocket::operator=(ProbeSocket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
    family_ = other.family_;
    kind_ = other.kind_;
    bound_ifindex_ = other.bound_ifindex_;
    identifier_ = other.identifier_;
    buffers_ = std::move(other.buffers_);
  }
  return *this;
}

ProbeSocket::~ProbeSocket() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

int ProbeSocket::send(const IpAddress& destination, std::span<const std::uint8_t> message) {
  sockaddr_storage address{};
  socklen_t length = fill_sockaddr(destination, address);
  for (;;) {
    ssize_t sent = ::sendto(fd_, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&address), length);
    if (sent >= 0) {
      return 0;
    }
    if (errno != EINTR) {
      return errno;
    }
  }
}

std::optional<ReceivedIcmp> ProbeSocket::parse_message(std::span<const std::uint8_t> data,
                                                       const IpAddress& source) const {
  if (family_ == AF_INET6) {
    return parse_icmpv6(data, source);
  }
  if (kind_ == SocketKind::raw) {
    return parse_ipv4_datagram(data);
  }
  return parse_icmpv4(data, source);
}

Received ProbeSocket::parse_received(const msghdr& message, std::size_t length, bool error_queue) const {
  Received received;
  const sock_extended_err* queued_error = nullptr;
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(const_cast<msghdr*>(&message), header)) {
    if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS) {
      timespec stamp{};
      std::memcpy(&stamp, CMSG_DATA(header), sizeof(stamp));
      received.kernel_realtime_ns = timespec_to_ns(stamp);
    } else if ((header->cmsg_level == IPPROTO_IP && header->cmsg_type == IP_RECVERR) ||
               (header->cmsg_level == IPPROTO_IPV6 && header->cmsg_type == IPV6_RECVERR)) {
      queued_error = reinterpret_cast<const sock_extended_err*>(CMSG_DATA(header));
    }
  }

  std::span<const std::uint8_t> data(static_cast<const std::uint8_t*>(message.msg_iov->iov_base), length);
  IpAddress peer = from_sockaddr(static_cast<const sockaddr*>(message.msg_name));
  if (error_queue) {
    bool from_icmp = queued_error != nullptr && (queued_error->ee_origin == SO_EE_ORIGIN_ICMP ||
                                                 queued_error->ee_origin == SO_EE_ORIGIN_ICMP6);
    if (from_icmp) {
      IpAddress offender = from_sockaddr(SO_EE_OFFENDER(queued_error));
      received.icmp = parse_queued_error(data, peer, offender, queued_error->ee_type, queued_error->ee_code);
    }
  } else {
    received.icmp = parse_message(data, peer);
  }

  if (received.icmp && received.icmp->identifier != identifier_) {
    received.icmp.reset();  // another program's probe or reply
  }
  return received;
}

std::size_t ProbeSocket::receive_batch(std::vector<Received>& received) {
  buffers_->reset(kBatchSize);
  int count = 0;
  for (;;) {
    count = ::recvmmsg(fd_, buffers_->messages.data(), kBatchSize, MSG_DONTWAIT, nullptr);
    if (count >= 0) {
      break;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return 0;
    }
    if (errno != EINTR) {
      int error_number = errno;
      throw SocketError("cannot read from the " + family_name(family_) + " socket: " + errno_text(error_number),
                        error_number);
    }
  }

  for (int i = 0; i < count; ++i) {
    const mmsghdr& message = buffers_->messages[static_cast<std::size_t>(i)];
    received.push_back(parse_received(message.msg_hdr, message.msg_len, false));
  }
  return static_cast<std::size_t>(count);
}

std::optional<Received> ProbeSocket::receive_error() {
  buffers_->reset(1);
  msghdr& message = buffers_->messages[0].msg_hdr;
  for (;;) {
    ssize_t length = ::recvmsg(fd_, &message, MSG_DONTWAIT | MSG_ERRQUEUE);
    if (length >= 0) {
      return parse_received(message, static_cast<std::size_t>(length), true);
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return std::nullopt;
    }
    if (errno != EINTR) {
      int error_number = errno;
      throw SocketError("cannot read the error queue of the " + family_name(family_) +
                            " socket: " + errno_text(error_number),
                        error_number);
    }
  }
}

}  // namespace wanctl::prober

// Building ICMP probe requests and parsing what comes back: echo and
// timestamp replies (ICMPv4 types 0 and 14, ICMPv6 type 129) and the errors
// that quote one of our requests (ICMPv4 destination unreachable 3 and time
// exceeded 11; ICMPv6 destination unreachable 1, packet too big 2 and time
// exceeded 3). An error is reported with the address of the reflector it
// quotes, never with the router that sent it, so it cannot pass for a reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "prober_config.hpp"
#include "records.hpp"

namespace wanctl::prober {

// ICMP message types used here (RFC 792, RFC 4443).
inline constexpr std::uint8_t kIcmpEchoReply = 0;
inline constexpr std::uint8_t kIcmpDestinationUnreachable = 3;
inline constexpr std::uint8_t kIcmpEchoRequest = 8;
inline constexpr std::uint8_t kIcmpTimeExceeded = 11;
inline constexpr std::uint8_t kIcmpTimestampRequest = 13;
inline constexpr std::uint8_t kIcmpTimestampReply = 14;
inline constexpr std::uint8_t kIcmp6DestinationUnreachable = 1;
inline constexpr std::uint8_t kIcmp6PacketTooBig = 2;
inline constexpr std::uint8_t kIcmp6TimeExceeded = 3;
inline constexpr std::uint8_t kIcmp6EchoRequest = 128;
inline constexpr std::uint8_t kIcmp6EchoReply = 129;

// Bytes of echo payload after the 8-byte header; the payload carries no
// information, because replies are matched by identifier, sequence and address.
inline constexpr std::size_t kEchoPayloadBytes = 16;
inline constexpr std::size_t kMaxRequestBytes = 8 + 16;

struct ProbeRequest {
  std::uint8_t family;          // AF_INET or AF_INET6
  ProbeMethod method;           // timestamp is IPv4 only
  std::uint16_t identifier;
  std::uint16_t sequence;
  std::uint32_t originate_ms;   // timestamp requests: our time of day when sent
};

// Writes the request into `buffer` and returns its length. The ICMPv4
// checksum is filled in; the kernel computes the ICMPv6 one.
std::size_t build_request(const ProbeRequest& request, std::span<std::uint8_t, kMaxRequestBytes> buffer);

enum class IcmpKind : std::uint8_t {
  reply,  // an echo or timestamp reply
  error,  // an ICMP error quoting an echo or timestamp request
};

struct ReceivedIcmp {
  IcmpKind kind;
  IpAddress reflector;        // reply: its source; error: destination of the quoted request
  IpAddress sender;           // source of the message (for an error, the router that sent it)
  std::uint16_t identifier;   // of the reply, or of the quoted request
  std::uint16_t sequence;
  std::uint8_t type;          // type and code of the received message
  std::uint8_t code;
  ProbeMethod method;         // method of the request it replies to or quotes
  std::uint32_t originate_ms; // timestamp replies only
  std::uint32_t receive_ms;
  std::uint32_t transmit_ms;
};

// Parses an ICMPv4 message without its IP header (as an unprivileged ICMP
// socket delivers it). Returns nothing for anything that is neither a reply
// nor an error quoting a request, and for a bad checksum or a truncated message.
std::optional<ReceivedIcmp> parse_icmpv4(std::span<const std::uint8_t> message, const IpAddress& source);

// Parses a datagram from a raw IPv4 ICMP socket, which starts with the IP header.
std::optional<ReceivedIcmp> parse_ipv4_datagram(std::span<const std::uint8_t> datagram);

// Parses an ICMPv6 message (raw and unprivileged ICMPv6 sockets deliver no
// IPv6 header; the kernel has verified the checksum).
std::optional<ReceivedIcmp> parse_icmpv6(std::span<const std::uint8_t> message, const IpAddress& source);

// Parses the request an unprivileged socket returns from its error queue
// (MSG_ERRQUEUE) together with the ICMP type and code the kernel reports.
std::optional<ReceivedIcmp> parse_queued_error(std::span<const std::uint8_t> request, const IpAddress& destination,
                                               const IpAddress& offender, std::uint8_t type, std::uint8_t code);

// Computes the Internet checksum (RFC 1071) of `data`.
std::uint16_t internet_checksum(std::span<const std::uint8_t> data);

}  // namespace wanctl::prober

#include "icmp_message.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace wanctl::prober {
namespace {

constexpr std::size_t kIcmpHeaderBytes = 8;
constexpr std::size_t kTimestampMessageBytes = 20;
constexpr std::size_t kIpv4MinHeaderBytes = 20;
constexpr std::size_t kIpv6HeaderBytes = 40;
constexpr std::uint8_t kProtocolIcmp = 1;
constexpr std::uint8_t kProtocolIcmpv6 = 58;

std::uint16_t read_u16(std::span<const std::uint8_t> data, std::size_t offset) {
  return static_cast<std::uint16_t>((data[offset] << 8) | data[offset + 1]);
}

std::uint32_t read_u32(std::span<const std::uint8_t> data, std::size_t offset) {
  return (static_cast<std::uint32_t>(data[offset]) << 24) | (static_cast<std::uint32_t>(data[offset + 1]) << 16) |
         (static_cast<std::uint32_t>(data[offset + 2]) << 8) | data[offset + 3];
}

void write_u16(std::span<std::uint8_t> data, std::size_t offset, std::uint16_t value) {
  data[offset] = static_cast<std::uint8_t>(value >> 8);
  data[offset + 1] = static_cast<std::uint8_t>(value);
}

void write_u32(std::span<std::uint8_t> data, std::size_t offset, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    data[offset + i] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  }
}

IpAddress ipv4_at(std::span<const std::uint8_t> data, std::size_t offset) {
  IpAddress address;
  address.family = AF_INET;
  std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(offset), 4, address.bytes.begin());
  return address;
}

IpAddress ipv6_at(std::span<const std::uint8_t> data, std::size_t offset) {
  IpAddress address;
  address.family = AF_INET6;
  std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(offset), 16, address.bytes.begin());
  return address;
}

// Reads the identifier, sequence and method of a request we may have sent
// from its ICMP header; nothing when the header is no echo or timestamp request.
bool read_quoted_request(std::span<const std::uint8_t> request, std::uint8_t family, ReceivedIcmp& result) {
  if (request.size() < kIcmpHeaderBytes || request[1] != 0) {
    return false;
  }
  std::uint8_t type = request[0];
  if (family == AF_INET && type == kIcmpEchoRequest) {
    result.method = ProbeMethod::echo;
  } else if (family == AF_INET && type == kIcmpTimestampRequest) {
    result.method = ProbeMethod::timestamp;
  } else if (family == AF_INET6 && type == kIcmp6EchoRequest) {
    result.method = ProbeMethod::echo;
  } else {
    return false;
  }
  result.identifier = read_u16(request, 4);
  result.sequence = read_u16(request, 6);
  return true;
}

// Parses the IPv4 datagram an ICMPv4 error quotes: its header and at least
// the first 8 bytes of our request (RFC 792 guarantees that much).
std::optional<ReceivedIcmp> parse_icmpv4_error(std::span<const std::uint8_t> message, const IpAddress& source) {
  std::span<const std::uint8_t> quoted = message.subspan(kIcmpHeaderBytes);
  if (quoted.size() < kIpv4MinHeaderBytes || (quoted[0] >> 4) != 4) {
    return std::nullopt;
  }
  std::size_t header_bytes = static_cast<std::size_t>(quoted[0] & 0x0f) * 4;
  if (header_bytes < kIpv4MinHeaderBytes || quoted.size() < header_bytes + kIcmpHeaderBytes ||
      quoted[9] != kProtocolIcmp) {
    return std::nullopt;
  }

  ReceivedIcmp result{};
  result.kind = IcmpKind::error;
  result.type = message[0];
  result.code = message[1];
  result.sender = source;
  result.reflector = ipv4_at(quoted, 16);
  if (!read_quoted_request(quoted.subspan(header_bytes), AF_INET, result)) {
    return std::nullopt;
  }
  return result;
}

std::optional<ReceivedIcmp> parse_icmpv6_error(std::span<const std::uint8_t> message, const IpAddress& source) {
  std::span<const std::uint8_t> quoted = message.subspan(kIcmpHeaderBytes);
  // Our requests carry no extension headers, so the ICMPv6 header follows
  // the fixed IPv6 header directly.
  if (quoted.size() < kIpv6HeaderBytes + kIcmpHeaderBytes || (quoted[0] >> 4) != 6 ||
      quoted[6] != kProtocolIcmpv6) {
    return std::nullopt;
  }

  ReceivedIcmp result{};
  result.kind = IcmpKind::error;
  result.type = message[0];
  result.code = message[1];
  result.sender = source;
  result.reflector = ipv6_at(quoted, 24);
  if (!read_quoted_request(quoted.subspan(kIpv6HeaderBytes), AF_INET6, result)) {
    return std::nullopt;
  }
  return result;
}

}  // namespace

std::uint16_t internet_checksum(std::span<const std::uint8_t> data) {
  std::uint32_t sum = 0;
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2) {
    sum += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
  }
  if (i < data.size()) {
    sum += static_cast<std::uint32_t>(data[i] << 8);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum);
}

std::size_t build_request(const ProbeRequest& request, std::span<std::uint8_t, kMaxRequestBytes> buffer) {
  std::fill(buffer.begin(), buffer.end(), std::uint8_t{0});
  std::size_t length = kIcmpHeaderBytes + kEchoPayloadBytes;

  if (request.family == AF_INET6) {
    buffer[0] = kIcmp6EchoRequest;
  } else if (request.method == ProbeMethod::timestamp) {
    buffer[0] = kIcmpTimestampRequest;
    length = kTimestampMessageBytes;
  } else {
    buffer[0] = kIcmpEchoRequest;
  }
  write_u16(buffer, 4, request.identifier);
  write_u16(buffer, 6, request.sequence);
  if (request.method == ProbeMethod::timestamp && request.family == AF_INET) {
    write_u32(buffer, 8, request.originate_ms);
  }

  if (request.family == AF_INET) {
    std::uint16_t checksum = internet_checksum(std::span<const std::uint8_t>(buffer.data(), length));
    write_u16(buffer, 2, checksum);
  }
  return length;
}

std::optional<ReceivedIcmp> parse_icmpv4(std::span<const std::uint8_t> message, const IpAddress& source) {
  if (message.size() < kIcmpHeaderBytes || internet_checksum(message) != 0) {
    return std::nullopt;
  }

  std::uint8_t type = message[0];
  if (type == kIcmpDestinationUnreachable || type == kIcmpTimeExceeded) {
    return parse_icmpv4_error(message, source);
  }
  if (message[1] != 0) {
    return std::nullopt;
  }

  ReceivedIcmp result{};
  result.kind = IcmpKind::reply;
  result.type = type;
  result.reflector = source;
  result.sender = source;
  result.identifier = read_u16(message, 4);
  result.sequence = read_u16(message, 6);
  if (type == kIcmpEchoReply) {
    result.method = ProbeMethod::echo;
    return result;
  }
  if (type == kIcmpTimestampReply && message.size() >= kTimestampMessageBytes) {
    result.method = ProbeMethod::timestamp;
    result.originate_ms = read_u32(message, 8);
    result.receive_ms = read_u32(message, 12);
    result.transmit_ms = read_u32(message, 16);
    return result;
  }
  return std::nullopt;
}

std::optional<ReceivedIcmp> parse_ipv4_datagram(std::span<const std::uint8_t> datagram) {
  if (datagram.size() < kIpv4MinHeaderBytes || (datagram[0] >> 4) != 4 || datagram[9] != kProtocolIcmp) {
    return std::nullopt;
  }
  std::size_t header_bytes = static_cast<std::size_t>(datagram[0] & 0x0f) * 4;
  std::size_t total_bytes = std::min<std::size_t>(read_u16(datagram, 2), datagram.size());
  if (header_bytes < kIpv4MinHeaderBytes || total_bytes < header_bytes) {
    return std::nullopt;
  }
  IpAddress source = ipv4_at(datagram, 12);
  return parse_icmpv4(datagram.subspan(header_bytes, total_bytes - header_bytes), source);
}

std::optional<ReceivedIcmp> parse_icmpv6(std::span<const std::uint8_t> message, const IpAddress& source) {
  if (message.size() < kIcmpHeaderBytes) {
    return std::nullopt;
  }

  std::uint8_t type = message[0];
  if (type == kIcmp6DestinationUnreachable || type == kIcmp6PacketTooBig || type == kIcmp6TimeExceeded) {
    return parse_icmpv6_error(message, source);
  }
  if (type != kIcmp6EchoReply || message[1] != 0) {
    return std::nullopt;
  }

  ReceivedIcmp result{};
  result.kind = IcmpKind::reply;
  result.type = type;
  result.reflector = source;
  result.sender = source;
  result.method = ProbeMethod::echo;
  result.identifier = read_u16(message, 4);
  result.sequence = read_u16(message, 6);
  return result;
}

std::optional<ReceivedIcmp> parse_queued_error(std::span<const std::uint8_t> request, const IpAddress& destination,
                                               const IpAddress& offender, std::uint8_t type, std::uint8_t code) {
  ReceivedIcmp result{};
  result.kind = IcmpKind::error;
  result.type = type;
  result.code = code;
  result.reflector = destination;
  result.sender = offender;
  if (!read_quoted_request(request, destination.family, result)) {
    return std::nullopt;
  }
  return result;
}

}  // namespace wanctl::prober

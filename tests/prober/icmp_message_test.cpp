// ICMP request building and parsing of replies and of errors quoting a request.
#include <doctest/doctest.h>

#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "icmp_message.hpp"

using namespace wanctl;
using namespace wanctl::prober;

namespace {

IpAddress address(const char* text) {
  std::string error;
  auto parsed = parse_reflector_address(text, error);
  REQUIRE_MESSAGE(parsed.has_value(), error);
  return *parsed;
}

std::vector<std::uint8_t> request_bytes(const ProbeRequest& request) {
  std::array<std::uint8_t, kMaxRequestBytes> buffer;
  std::size_t length = build_request(request, buffer);
  return std::vector<std::uint8_t>(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(length));
}

void put_u16(std::vector<std::uint8_t>& data, std::size_t offset, std::uint16_t value) {
  data[offset] = static_cast<std::uint8_t>(value >> 8);
  data[offset + 1] = static_cast<std::uint8_t>(value);
}

void put_u32(std::vector<std::uint8_t>& data, std::size_t offset, std::uint32_t value) {
  put_u16(data, offset, static_cast<std::uint16_t>(value >> 16));
  put_u16(data, offset + 2, static_cast<std::uint16_t>(value));
}

void fix_checksum(std::vector<std::uint8_t>& message) {
  put_u16(message, 2, 0);
  put_u16(message, 2, internet_checksum(message));
}

// Turns a request into the reply a reflector would send.
std::vector<std::uint8_t> reply_to(std::vector<std::uint8_t> request, std::uint8_t type) {
  request[0] = type;
  fix_checksum(request);
  return request;
}

// A 20-byte IPv4 header carrying ICMP from `source` to `destination`.
std::vector<std::uint8_t> ipv4_header(const IpAddress& source, const IpAddress& destination,
                                      std::size_t payload_bytes) {
  std::vector<std::uint8_t> header(20, 0);
  header[0] = 0x45;
  put_u16(header, 2, static_cast<std::uint16_t>(20 + payload_bytes));
  header[8] = 64;
  header[9] = 1;
  std::copy_n(source.bytes.begin(), 4, header.begin() + 12);
  std::copy_n(destination.bytes.begin(), 4, header.begin() + 16);
  return header;
}

// An ICMPv4 error of `type` quoting the request as sent to `reflector`.
std::vector<std::uint8_t> error_quoting(std::uint8_t type, std::uint8_t code, const std::vector<std::uint8_t>& request,
                                        const IpAddress& prober, const IpAddress& reflector) {
  std::vector<std::uint8_t> message(8, 0);
  message[0] = type;
  message[1] = code;
  std::vector<std::uint8_t> quoted = ipv4_header(prober, reflector, request.size());
  message.insert(message.end(), quoted.begin(), quoted.end());
  message.insert(message.end(), request.begin(), request.begin() + 8);  // RFC 792 minimum
  fix_checksum(message);
  return message;
}

}  // namespace

TEST_CASE("echo request has a valid checksum") {
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 0x1234, 0xbeef, 0});
  CHECK(request.size() == 8 + kEchoPayloadBytes);
  CHECK(request[0] == kIcmpEchoRequest);
  CHECK(request[4] == 0x12);
  CHECK(request[5] == 0x34);
  CHECK(request[6] == 0xbe);
  CHECK(request[7] == 0xef);
  CHECK(internet_checksum(request) == 0);
}

TEST_CASE("timestamp request carries the originate time") {
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::timestamp, 7, 9, 86'399'990});
  CHECK(request.size() == 20);
  CHECK(request[0] == kIcmpTimestampRequest);
  CHECK(((request[8] << 24) | (request[9] << 16) | (request[10] << 8) | request[11]) == 86'399'990);
  CHECK(internet_checksum(request) == 0);
}

TEST_CASE("echo reply parses with its source") {
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 0x1234, 42, 0});
  auto reply = parse_icmpv4(reply_to(request, kIcmpEchoReply), address("192.0.2.7"));
  REQUIRE(reply.has_value());
  CHECK(reply->kind == IcmpKind::reply);
  CHECK(reply->method == ProbeMethod::echo);
  CHECK(reply->identifier == 0x1234);
  CHECK(reply->sequence == 42);
  CHECK(reply->reflector == address("192.0.2.7"));
}

TEST_CASE("timestamp reply parses the three times") {
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::timestamp, 1, 2, 86'399'990});
  request[0] = kIcmpTimestampReply;
  put_u32(request, 12, 5);
  put_u32(request, 16, 0x8000'0005u);
  fix_checksum(request);
  auto reply = parse_icmpv4(request, address("192.0.2.7"));
  REQUIRE(reply.has_value());
  CHECK(reply->method == ProbeMethod::timestamp);
  CHECK(reply->originate_ms == 86'399'990);
  CHECK(reply->receive_ms == 5);
  CHECK(reply->transmit_ms == 0x8000'0005u);
}

TEST_CASE("reply with a bad checksum is dropped") {
  auto reply = reply_to(request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 1, 2, 0}), kIcmpEchoReply);
  reply[10] ^= 0xff;
  CHECK_FALSE(parse_icmpv4(reply, address("192.0.2.7")).has_value());
}

TEST_CASE("truncated timestamp reply is dropped") {
  auto reply = reply_to(request_bytes(ProbeRequest{AF_INET, ProbeMethod::timestamp, 1, 2, 0}), kIcmpTimestampReply);
  reply.resize(16);
  fix_checksum(reply);
  CHECK_FALSE(parse_icmpv4(reply, address("192.0.2.7")).has_value());
}

TEST_CASE("echo request from elsewhere is not a reply") {
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 1, 2, 0});
  CHECK_FALSE(parse_icmpv4(request, address("192.0.2.7")).has_value());
}

TEST_CASE("unreachable quoting a probe is an error for the reflector") {
  IpAddress prober = address("192.0.2.1");
  IpAddress reflector = address("203.0.113.50");
  IpAddress router = address("192.0.2.2");
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 0x4321, 77, 0});
  auto error = parse_icmpv4(error_quoting(kIcmpDestinationUnreachable, 1, request, prober, reflector), router);
  REQUIRE(error.has_value());
  CHECK(error->kind == IcmpKind::error);
  CHECK(error->type == kIcmpDestinationUnreachable);
  CHECK(error->code == 1);
  CHECK(error->reflector == reflector);
  CHECK(error->sender == router);
  CHECK(error->identifier == 0x4321);
  CHECK(error->sequence == 77);
  CHECK(error->method == ProbeMethod::echo);
}

TEST_CASE("time exceeded quoting a timestamp probe is an error") {
  IpAddress reflector = address("203.0.113.51");
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::timestamp, 5, 6, 1000});
  auto error = parse_icmpv4(error_quoting(kIcmpTimeExceeded, 0, request, address("192.0.2.1"), reflector),
                            address("192.0.2.2"));
  REQUIRE(error.has_value());
  CHECK(error->kind == IcmpKind::error);
  CHECK(error->method == ProbeMethod::timestamp);
  CHECK(error->reflector == reflector);
  CHECK(error->sequence == 6);
}

TEST_CASE("error quoting something else is ignored") {
  // A UDP datagram quoted in an unreachable is not one of our probes.
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 5, 6, 0});
  auto message = error_quoting(kIcmpDestinationUnreachable, 3, request, address("192.0.2.1"), address("203.0.113.9"));
  message[8 + 9] = 17;
  fix_checksum(message);
  CHECK_FALSE(parse_icmpv4(message, address("192.0.2.2")).has_value());

  // An error quoting an echo reply (someone else's) is ignored too.
  auto reply = reply_to(request, kIcmpEchoReply);
  auto quoting_reply = error_quoting(kIcmpDestinationUnreachable, 3, reply, address("192.0.2.1"), address("203.0.113.9"));
  CHECK_FALSE(parse_icmpv4(quoting_reply, address("192.0.2.2")).has_value());
}

TEST_CASE("error with a quote too short is ignored") {
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 5, 6, 0});
  auto message = error_quoting(kIcmpDestinationUnreachable, 1, request, address("192.0.2.1"), address("203.0.113.9"));
  message.resize(8 + 20 + 4);
  fix_checksum(message);
  CHECK_FALSE(parse_icmpv4(message, address("192.0.2.2")).has_value());
}

TEST_CASE("raw IPv4 datagram is parsed past its header") {
  auto reply = reply_to(request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 9, 10, 0}), kIcmpEchoReply);
  auto datagram = ipv4_header(address("203.0.113.10"), address("192.0.2.1"), reply.size());
  datagram.insert(datagram.end(), reply.begin(), reply.end());
  auto parsed = parse_ipv4_datagram(datagram);
  REQUIRE(parsed.has_value());
  CHECK(parsed->reflector == address("203.0.113.10"));
  CHECK(parsed->sequence == 10);

  datagram[9] = 6;  // TCP
  CHECK_FALSE(parse_ipv4_datagram(datagram).has_value());
}

TEST_CASE("ICMPv6 echo reply and errors parse") {
  auto request = request_bytes(ProbeRequest{AF_INET6, ProbeMethod::echo, 0x55, 0x66, 0});
  CHECK(request[0] == kIcmp6EchoRequest);

  auto reply_message = request;
  reply_message[0] = kIcmp6EchoReply;
  auto reply = parse_icmpv6(reply_message, address("2001:db8::10"));
  REQUIRE(reply.has_value());
  CHECK(reply->kind == IcmpKind::reply);
  CHECK(reply->sequence == 0x66);
  CHECK(reply->reflector == address("2001:db8::10"));

  // Destination unreachable quoting the IPv6 header and our request.
  std::vector<std::uint8_t> error(8, 0);
  error[0] = kIcmp6DestinationUnreachable;
  error[1] = 3;
  std::vector<std::uint8_t> header(40, 0);
  header[0] = 0x60;
  header[6] = 58;
  IpAddress reflector = address("2001:db8::99");
  std::copy(reflector.bytes.begin(), reflector.bytes.end(), header.begin() + 24);
  error.insert(error.end(), header.begin(), header.end());
  error.insert(error.end(), request.begin(), request.end());
  auto parsed = parse_icmpv6(error, address("2001:db8::1"));
  REQUIRE(parsed.has_value());
  CHECK(parsed->kind == IcmpKind::error);
  CHECK(parsed->reflector == reflector);
  CHECK(parsed->sender == address("2001:db8::1"));
  CHECK(parsed->sequence == 0x66);
}

TEST_CASE("queued error names the quoted request") {
  auto request = request_bytes(ProbeRequest{AF_INET, ProbeMethod::echo, 3, 4, 0});
  auto parsed = parse_queued_error(request, address("203.0.113.5"), address("192.0.2.2"), 3, 1);
  REQUIRE(parsed.has_value());
  CHECK(parsed->kind == IcmpKind::error);
  CHECK(parsed->reflector == address("203.0.113.5"));
  CHECK(parsed->sender == address("192.0.2.2"));
  CHECK(parsed->sequence == 4);
}

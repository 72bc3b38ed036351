// The [prober] table of a WAN file: which reflectors to probe, how often, with
// which ICMP method, and how probes leave the host (interface, source address,
// firewall mark, socket kind, user to switch to).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config_reader.hpp"
#include "records.hpp"

namespace wanctl {

// A numeric IPv4 or IPv6 address in network byte order; IPv4 uses the first
// 4 bytes, as in ProbeSample::reflector_address.
struct IpAddress {
  std::uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};

  bool operator==(const IpAddress&) const = default;
};

// Parses a numeric address. Returns nothing and sets `error` when the text is
// a host name, malformed, or an address no reflector can have (unspecified,
// multicast, broadcast, IPv4-mapped IPv6).
std::optional<IpAddress> parse_reflector_address(std::string_view text, std::string& error);

std::string to_string(const IpAddress& address);

// Which ICMP socket the prober opens. A raw socket needs CAP_NET_RAW and can
// send timestamp requests; an unprivileged ICMP socket ("ping socket") needs
// the process's group inside net.ipv4.ping_group_range and sends echo only.
enum class SocketMode : std::uint8_t { automatic, raw, unprivileged };

std::string_view to_string(SocketMode mode);

struct ProberConfig {
  std::vector<IpAddress> reflectors;       // configured order; ids are indexes into it
  int active_reflectors = 3;               // probed at a time; the rest are spares
  double probe_rate_hz = 20.0;             // probes per second over all active reflectors
  ProbeMethod method = ProbeMethod::timestamp;
  int timeout_ms = 2000;                   // a probe without a reply by then is a timeout
  std::string interface;                   // SO_BINDTODEVICE; empty: routing decides
  std::optional<IpAddress> source_address; // bind(); empty: the kernel chooses
  std::uint32_t fwmark = 0;                // SO_MARK; 0 leaves the mark unset
  SocketMode socket_mode = SocketMode::automatic;
  std::string user;                        // switch to this user after opening sockets; empty: stay

  // A reflector with this many timeouts or errors among its last
  // replacement_window_probes probes is swapped for a spare.
  int replacement_timeouts = 3;
  int replacement_window_probes = 60;

  // This many timestamp probes in a row without a valid timestamp (bad
  // timestamps or timeouts held against the reflector) switch it to echo.
  int timestamp_fallback_probes = 3;
};

// Largest probe rate accepted; the loss-free limit measured on a veth pair is
// in docs/BENCHMARKS.md.
inline constexpr double kMaxProbeRateHz = 10000.0;

// Reads and validates [prober], recording every error in the reader.
void read_prober_config(ConfigReader& reader, ProberConfig& config);

}  // namespace wanctl

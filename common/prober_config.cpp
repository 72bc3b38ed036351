#include "prober_config.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>

#include <algorithm>
#include <sstream>

namespace wanctl {
namespace {

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// Returns why an IPv4 address cannot be a reflector, or an empty string.
std::string ipv4_address_problem(const std::array<std::uint8_t, 16>& bytes) {
  if (bytes[0] == 0) {
    return "is in 0.0.0.0/8, which no host can have";
  }
  if (bytes[0] >= 224 && bytes[0] <= 239) {
    return "is a multicast address";
  }
  if (bytes[0] == 255 && bytes[1] == 255 && bytes[2] == 255 && bytes[3] == 255) {
    return "is the broadcast address";
  }
  if (bytes[0] >= 240) {
    return "is in the reserved range 240.0.0.0/4";
  }
  return {};
}

std::string ipv6_address_problem(const std::array<std::uint8_t, 16>& bytes) {
  if (std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b == 0; })) {
    return "is the unspecified address ::";
  }
  if (bytes[0] == 0xff) {
    return "is a multicast address";
  }
  bool v4_mapped = std::all_of(bytes.begin(), bytes.begin() + 10, [](std::uint8_t b) { return b == 0; }) &&
                   bytes[10] == 0xff && bytes[11] == 0xff;
  if (v4_mapped) {
    return "is an IPv4-mapped address; write the IPv4 address itself";
  }
  return {};
}

// Returns why `name` cannot be a Linux interface name, or an empty string.
std::string interface_name_problem(const std::string& name) {
  if (name.size() >= IFNAMSIZ) {
    return "is " + std::to_string(name.size()) + " characters long; Linux interface names have at most " +
           std::to_string(IFNAMSIZ - 1);
  }
  if (name == "." || name == "..") {
    return "is not a valid interface name";
  }
  for (char c : name) {
    if (c == '/' || c == ':' || c <= ' ' || c == 0x7f) {
      return "contains a character that Linux interface names cannot have";
    }
  }
  return {};
}

void read_reflectors(ConfigReader& reader, ProberConfig& config) {
  const std::string key = "prober.reflectors";
  if (!reader.has(key)) {
    reader.error(key, "missing; list the addresses to probe, e.g. reflectors = [\"192.0.2.1\", \"192.0.2.2\"] "
                      "under [prober]");
    return;
  }

  std::size_t errors_before = reader.errors().size();
  std::vector<std::string> texts = reader.string_list(key);
  if (texts.empty() && reader.errors().size() == errors_before) {
    reader.error(key, "the list is empty; give at least one reflector address");
    return;
  }
  if (texts.size() > static_cast<std::size_t>(kMaxReflectors)) {
    reader.error(key, "lists " + std::to_string(texts.size()) + " reflectors; at most " +
                          std::to_string(kMaxReflectors) + " are supported");
    return;
  }

  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::string problem;
    std::optional<IpAddress> address = parse_reflector_address(texts[i], problem);
    if (!address) {
      reader.error(key, "element " + std::to_string(i + 1) + " \"" + texts[i] + "\" " + problem);
      continue;
    }
    auto duplicate = std::find(config.reflectors.begin(), config.reflectors.end(), *address);
    if (duplicate != config.reflectors.end()) {
      reader.error(key, "element " + std::to_string(i + 1) + " \"" + texts[i] +
                            "\" is listed twice; remove the duplicate");
      continue;
    }
    config.reflectors.push_back(*address);
  }
}

void read_schedule(ConfigReader& reader, ProberConfig& config) {
  const std::string rate_key = "prober.probe_rate_hz";
  config.probe_rate_hz = reader.number(rate_key, config.probe_rate_hz, 0.0, kMaxProbeRateHz);
  if (reader.has(rate_key) && config.probe_rate_hz <= 0.0) {
    reader.error(rate_key, "must be greater than 0 probes per second");
    config.probe_rate_hz = 20.0;
  }

  config.timeout_ms = static_cast<int>(reader.integer("prober.timeout_ms", config.timeout_ms, 10, 60000));

  // The tracker tells probes apart by their 16-bit ICMP sequence number, so
  // fewer than half of that range may be in flight at once.
  double in_flight = config.probe_rate_hz * config.timeout_ms / 1000.0;
  if (in_flight > 16384.0) {
    reader.relation_error("prober.timeout_ms",
                          "with probe_rate_hz = " + format_number(config.probe_rate_hz) + ", " +
                              std::to_string(static_cast<long>(in_flight)) +
                              " probes would be in flight; keep probe_rate_hz * timeout_ms / 1000 at most 16384");
  }
}

void read_method(ConfigReader& reader, ProberConfig& config) {
  std::string method = reader.choice("prober.method", "timestamp", {"timestamp", "echo"});
  config.method = method == "echo" ? ProbeMethod::echo : ProbeMethod::timestamp;

  std::string socket = reader.choice("prober.socket", "auto", {"auto", "raw", "unprivileged"});
  if (socket == "raw") {
    config.socket_mode = SocketMode::raw;
  } else if (socket == "unprivileged") {
    config.socket_mode = SocketMode::unprivileged;
  } else {
    config.socket_mode = SocketMode::automatic;
  }
}

void read_egress(ConfigReader& reader, ProberConfig& config) {
  config.interface = reader.string("prober.interface", "");
  if (reader.has("prober.interface")) {
    std::string problem = config.interface.empty() ? "is empty; remove the key to let routing choose"
                                                   : interface_name_problem(config.interface);
    if (!problem.empty()) {
      reader.error("prober.interface", problem);
    }
  }

  std::string source = reader.string("prober.source_address", "");
  if (reader.has("prober.source_address")) {
    std::string problem;
    config.source_address = parse_reflector_address(source, problem);
    if (!config.source_address) {
      reader.error("prober.source_address", problem);
    }
  }

  config.fwmark = static_cast<std::uint32_t>(reader.integer("prober.fwmark", 0, 0, 0xffffffffLL));
  config.user = reader.string("prober.user", "");
  if (reader.has("prober.user") && config.user.empty()) {
    reader.error("prober.user", "is empty; remove the key to keep the starting user");
  }
}

void read_reflector_health(ConfigReader& reader, ProberConfig& config) {
  int listed = static_cast<int>(config.reflectors.size());
  if (reader.has("prober.active_reflectors")) {
    config.active_reflectors =
        static_cast<int>(reader.integer("prober.active_reflectors", config.active_reflectors, 1, kMaxReflectors));
    if (listed > 0 && config.active_reflectors > listed) {
      reader.relation_error("prober.active_reflectors",
                            "exceeds the " + std::to_string(listed) +
                                " addresses in prober.reflectors; list more reflectors or probe fewer");
    }
  } else if (listed > 0) {
    config.active_reflectors = std::min(config.active_reflectors, listed);
  }

  config.replacement_window_probes =
      static_cast<int>(reader.integer("prober.replacement_window_probes", config.replacement_window_probes, 1, 1000));
  config.replacement_timeouts =
      static_cast<int>(reader.integer("prober.replacement_timeouts", config.replacement_timeouts, 1, 1000));
  if (config.replacement_timeouts > config.replacement_window_probes) {
    reader.relation_error("prober.replacement_timeouts",
                          "exceeds prober.replacement_window_probes = " +
                              std::to_string(config.replacement_window_probes) +
                              ", so no reflector could ever be replaced");
  }

  config.timestamp_fallback_probes =
      static_cast<int>(reader.integer("prober.timestamp_fallback_probes", config.timestamp_fallback_probes, 1, 1000));
  if (config.method == ProbeMethod::timestamp && config.timestamp_fallback_probes > config.replacement_timeouts) {
    reader.relation_error("prober.timestamp_fallback_probes",
                          "exceeds prober.replacement_timeouts = " + std::to_string(config.replacement_timeouts) +
                              "; a reflector that filters timestamp requests would be replaced before it "
                              "falls back to echo");
  }
}

void check_families(ConfigReader& reader, const ProberConfig& config) {
  if (!config.source_address) {
    return;
  }
  for (const IpAddress& reflector : config.reflectors) {
    if (reflector.family != config.source_address->family) {
      reader.relation_error("prober.source_address",
                            "is an " + std::string(config.source_address->family == AF_INET ? "IPv4" : "IPv6") +
                                " address but reflector " + to_string(reflector) +
                                " is not; list reflectors of one address family when a source address is set");
      return;
    }
  }
}

}  // namespace

std::optional<IpAddress> parse_reflector_address(std::string_view text, std::string& error) {
  std::string copy(text);
  IpAddress address;
  if (::inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET;
    error = ipv4_address_problem(address.bytes);
  } else if (::inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.family = AF_INET6;
    error = ipv6_address_problem(address.bytes);
  } else {
    error = "is not a numeric IPv4 or IPv6 address; host names are not resolved, because a prober "
            "that depends on DNS stops measuring exactly when the link is in trouble";
    return std::nullopt;
  }
  if (!error.empty()) {
    return std::nullopt;
  }
  return address;
}

std::string to_string(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.family != AF_INET && address.family != AF_INET6) {
    return "-";
  }
  ::inet_ntop(address.family, address.bytes.data(), text, sizeof(text));
  return text;
}

std::string_view to_string(SocketMode mode) {
  switch (mode) {
    case SocketMode::automatic: return "auto";
    case SocketMode::raw: return "raw";
    case SocketMode::unprivileged: return "unprivileged";
  }
  return "unknown";
}

void read_prober_config(ConfigReader& reader, ProberConfig& config) {
  read_reflectors(reader, config);
  read_schedule(reader, config);
  read_method(reader, config);
  read_egress(reader, config);
  read_reflector_health(reader, config);
  check_families(reader, config);
}

}  // namespace wanctl

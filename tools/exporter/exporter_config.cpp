#include "exporter_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>

#include "logging_config.hpp"
#include "object_name.hpp"

namespace wanctl {
namespace {

// Returns 4 for IPv4, 6 for IPv6 and 0 for anything else.
int address_family(const std::string& address) {
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
    return 4;
  }
  if (::inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
    return 6;
  }
  return 0;
}

void read_listen(ConfigReader& reader, ExporterConfig& config) {
  config.listen_address = reader.string("exporter.listen_address", config.listen_address);
  if (reader.has("exporter.listen_address") && address_family(config.listen_address) == 0) {
    reader.error("exporter.listen_address",
                 "is not a numeric IPv4 or IPv6 address; use \"127.0.0.1\" or \"::1\" for this host only");
    config.listen_address = "127.0.0.1";
  }
  config.port = static_cast<int>(reader.integer("exporter.port", config.port, 0, 65535));
  config.http_threads = static_cast<int>(reader.integer("exporter.http_threads", config.http_threads, 1, 16));
}

void read_instances(ConfigReader& reader, ExporterConfig& config) {
  const std::string key = "exporter.instances";
  if (!reader.has(key)) {
    reader.error(key, "missing; list the WAN instance names, e.g. instances = [\"wan1\", \"wan2\"]");
    return;
  }

  std::size_t errors_before = reader.errors().size();
  std::vector<std::string> names = reader.string_list(key);
  if (names.empty() && reader.errors().size() == errors_before) {
    reader.error(key, "the list is empty; name at least one WAN instance");
    return;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string problem = instance_name_error(names[i]);
    if (!problem.empty()) {
      reader.error(key, "element " + std::to_string(i + 1) + ": " + problem);
      continue;
    }
    if (std::find(config.instances.begin(), config.instances.end(), names[i]) != config.instances.end()) {
      reader.error(key, "element " + std::to_string(i + 1) + " \"" + names[i] + "\" is listed twice; remove the duplicate");
      continue;
    }
    config.instances.push_back(names[i]);
  }
}

void read_health(ConfigReader& reader, ExporterConfig& config) {
  const std::string key = "exporter.required_stages";
  if (reader.has(key)) {
    config.required_stages.clear();
    for (const std::string& stage : reader.string_list(key)) {
      if (std::find(kWanStages.begin(), kWanStages.end(), stage) == kWanStages.end()) {
        reader.error(key, "\"" + stage + "\" is not a stage; accepted \"prober\", \"estimator\", \"actuator\"");
        continue;
      }
      if (std::find(config.required_stages.begin(), config.required_stages.end(), stage) ==
          config.required_stages.end()) {
        config.required_stages.push_back(stage);
      }
    }
  }
  config.stale_after_s = reader.number("exporter.stale_after_s", config.stale_after_s, 0.1, 3600.0);
}

}  // namespace

bool is_loopback_address(const std::string& address) {
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
    return bytes[0] == 127;
  }
  if (::inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
    return std::all_of(bytes.begin(), bytes.begin() + 15, [](unsigned char b) { return b == 0; }) && bytes[15] == 1;
  }
  return false;
}

ExporterConfig read_exporter_config(ConfigReader& reader) {
  ExporterConfig config;
  config.path = reader.path();
  if (!reader.has("exporter")) {
    reader.error("exporter", "missing; an exporter file needs an [exporter] table with instances = [...]");
  }
  read_listen(reader, config);
  read_instances(reader, config);
  read_health(reader, config);
  read_logging_config(reader, config.logging);
  reader.report_unknown_keys();
  return config;
}

ExporterConfig load_exporter_config(const std::string& path) {
  ConfigReader reader = ConfigReader::load(path);
  ExporterConfig config = read_exporter_config(reader);
  reader.throw_if_errors();
  return config;
}

}  // namespace wanctl

// The exporter's file: which instances it watches, where it listens, and
// when a stage counts as stale. One exporter serves every WAN of a host.
#pragma once

#include <string>
#include <vector>

#include "config_reader.hpp"
#include "logging.hpp"

namespace wanctl {

// Stages whose liveness the exporter judges, by the objects they produce.
inline const std::vector<std::string> kWanStages = {"prober", "estimator", "actuator"};

struct ExporterConfig {
  std::string path;
  std::string listen_address = "127.0.0.1";  // numeric IPv4 or IPv6; loopback unless the file says otherwise
  int port = 9470;                           // 0: the kernel picks a free port, logged at start
  std::vector<std::string> instances;        // WAN instance names, as in each WAN file's [instance] name
  std::vector<std::string> required_stages = kWanStages;  // a missing or stale one makes /health return 503
  double stale_after_s = 5.0;  // a heartbeat older than this marks its stage stale
  int http_threads = 2;        // HTTP worker threads
  LogOptions logging;
};

// True for 127.0.0.0/8 and ::1.
bool is_loopback_address(const std::string& address);

// Reads [exporter] and [logging], recording every error in the reader.
ExporterConfig read_exporter_config(ConfigReader& reader);

// Reads and validates the file; throws ConfigError listing every problem.
ExporterConfig load_exporter_config(const std::string& path);

}  // namespace wanctl

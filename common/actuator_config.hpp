// The [actuator] table of a WAN file: which shaper the actuator drives, the
// device object of each direction, and how often and how carefully it writes.
//
// A direction without a table ([actuator.download] or [actuator.upload]) is
// not actuated; at least one must be present.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "config_reader.hpp"

namespace wanctl {

enum class ActuatorBackend { cake, htb, routeros };

// The kind of RouterOS object whose rate a direction sets.
enum class RouterQueueKind {
  tree,    // /queue/tree, "max-limit" in bit/s
  simple,  // /queue/simple, "max-limit" as "upload/download"
  type,    // /queue/type with kind=cake, "cake-bandwidth"
};

// The device object one direction drives.
struct ActuatorTarget {
  std::string interface;       // cake and htb: the network device
  std::string htb_class;       // htb: class id "major:minor" in hex, as tc prints it
  std::string queue;           // routeros: the queue's name
  RouterQueueKind queue_kind = RouterQueueKind::tree;
  std::string stats_queue;     // routeros type: queue tree whose counters give telemetry, may be empty
};

struct RouterOsConfig {
  std::string url;                 // e.g. "https://192.0.2.1", without "/rest"
  std::string user;
  std::string password_file;       // exactly one of password_file and password_env
  std::string password_env;
  std::string ca_file;             // CA bundle to verify the router's certificate with
  std::string fingerprint_sha256;  // pinned leaf certificate, 64 hex digits, ':' allowed
  bool verify_tls = true;          // false only when spelled out in the file
  std::int64_t request_timeout_ms = 2000;
  std::int64_t credential_recheck_s = 60;  // after a 401 or 403, wait this long before the next request tries the credentials again
};

struct ActuatorConfig {
  bool configured = false;  // the file has an [actuator] table
  ActuatorBackend backend = ActuatorBackend::cake;
  std::optional<ActuatorTarget> directions[2];  // indexed by Direction

  bool dry_run = false;
  double dead_band_percent = 1.0;        // changes smaller than this share of the applied rate are not written
  std::int64_t min_write_interval_ms = 0;  // per direction, between two device writes
  std::int64_t telemetry_interval_ms = 100;
  std::int64_t decision_max_age_ms = 2000;  // an older decision is stale and never applied
  std::int64_t retry_attempts = 3;        // tries of one write on timeouts, resets and 5xx
  std::int64_t retry_initial_ms = 200;    // first backoff; doubles up to retry_max_ms
  std::int64_t retry_max_ms = 10000;
  std::int64_t attach_retry_ms = 1000;    // while the decisions ring does not exist yet

  RouterOsConfig routeros;
};

// Reads [actuator]; records every problem in the reader.
void read_actuator_config(ConfigReader& reader, ActuatorConfig& config);

std::string_view to_string(ActuatorBackend backend);
std::string_view to_string(RouterQueueKind kind);

}  // namespace wanctl

// The steering file: one per site, separate from the WAN files. It names the
// primary and alternate WAN instances and the thresholds that turn their
// signals into GREEN / YELLOW / RED. It sets the hysteresis in seconds and
// the action that moves latency-sensitive traffic (a RouterOS mangle rule or
// a Linux policy routing rule).
//
// The steering process and the config checker both read it through
// read_steering_config(), so they report the same errors for the same file.
#pragma once

#include <cstdint>
#include <string>

#include "actuator_config.hpp"
#include "config_reader.hpp"
#include "logging.hpp"

namespace wanctl {

// Thresholds of the assessment; see steering/assessment.hpp for how they
// combine. The defaults and their reasons are in steering_config.cpp.
struct SteeringThresholds {
  double yellow_delay_ms = 15.0;
  double red_delay_ms = 30.0;
  double red_drop_rate_per_s = 1.0;
  double red_queue_delay_ms = 5.0;
  std::int64_t red_backlog_kbytes = 30;
  double red_reflector_share = 0.6;  // share of reflectors whose RTT delta must reach red_delay_ms
  double drop_rate_tau_s = 1.0;      // time constant of the smoothed CAKE drop rate
};

enum class SteeringActionKind { linux_rule, routeros_mangle };

enum class RuleFamilies { ipv4, ipv6, both };

// A Linux policy-routing rule: traffic selected by fwmark or DSCP looks up
// the alternate WAN's routing table while steered.
struct LinuxRuleConfig {
  bool use_fwmark = true;            // false: select by DSCP
  std::uint32_t fwmark = 0;
  std::uint32_t fwmask = 0xffffffff;
  std::uint8_t dscp = 0;             // 1 to 63; the rule matches TOS byte dscp << 2
  // The alternate WAN's routing table. It must route the local networks as
  // well, because replies to steered traffic carry the same mark or DSCP
  // and meet the rule on their way in.
  std::uint32_t table = 0;
  std::uint32_t priority = 0;        // rule preference; must come before "main" (32766)
  RuleFamilies families = RuleFamilies::both;
};

// A RouterOS mangle rule found by its comment; enabled while steered. The
// connection has the same keys as the actuator's [actuator.routeros] table.
struct MangleRuleConfig {
  std::string comment;
  RouterOsConfig router;
};

struct SteeringConfig {
  std::string path;       // the file it was read from
  std::string site;       // names the status block wanctl.<site>.steering
  std::string primary;    // WAN instance that normally carries all traffic
  std::string alternate;  // WAN instance latency-sensitive traffic moves to

  double activation_s = 4.0;   // primary RED this long before steering away
  double recovery_s = 30.0;    // primary GREEN this long before steering back
  std::int64_t stale_after_ms = 3000;  // older status or telemetry is stale
  std::int64_t interval_ms = 100;      // assessment period
  std::string history_file;            // persisted decision and transitions

  SteeringThresholds thresholds;

  SteeringActionKind action = SteeringActionKind::linux_rule;
  std::int64_t retry_initial_ms = 500;   // first retry of a failed action; doubles up to retry_max_ms
  std::int64_t retry_max_ms = 30000;
  std::int64_t verify_interval_s = 10;   // re-read the device to find changes made outside wanctl
  LinuxRuleConfig linux_rule;
  MangleRuleConfig mangle;

  LogOptions logging;  // the [logging] table, as in WAN files
};

// Reads and validates the file; throws ConfigError listing every problem.
SteeringConfig load_steering_config(const std::string& path);

// Reads from an already parsed file, recording errors in the reader; for tests
// and for the checker, which reports several files at once.
SteeringConfig read_steering_config(ConfigReader& reader);

std::string_view to_string(SteeringActionKind kind);
std::string_view to_string(RuleFamilies families);

}  // namespace wanctl

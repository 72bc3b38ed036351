#include "steering_config.hpp"

#include <cctype>
#include <limits>
#include <sstream>

#include "logging_config.hpp"
#include "object_name.hpp"

namespace wanctl {
namespace {

// Defaults, with the reason for each.
//
// yellow_delay_ms 15: the estimator's own YELLOW threshold; below it the
//   shaper keeps the link as good as it gets.
// red_delay_ms 30: twice the YELLOW threshold, clear of the noise left in a
//   smoothed delta, and a delay that calls and games notice.
// red_drop_rate_per_s 1: CAKE dropping at least once a second means flows are
//   pushing against the shaped rate, so the elevated delay is not a single
//   delayed reply from one reflector.
// red_queue_delay_ms 5: CAKE's own target sojourn time; an average at or
//   above it is a standing queue.
// red_backlog_kbytes 30: the queue signal for shapers that report no delay
//   (RouterOS): 20 full-size packets, 24 ms at 10 Mbit/s.
// red_reflector_share 0.6: a delay rise upstream (the ISP's network, a
//   longer path) leaves the local queue empty but shows on every reflector,
//   while one misbehaving reflector stays a minority (the share needs 2 of
//   3 or 3 of 4).
// drop_rate_tau_s 1: smooths the counters of a 100 ms telemetry interval
//   into a per-second rate without hiding a change for longer than a second.
// activation_s 4: longer than a burst that the shaper absorbs (a page load,
//   a speed test ramp), short enough that a call notices one hiccup only.
// recovery_s 30: several times the activation time, so a link that recovers
//   briefly between two bad spells does not pull traffic back and forth.
// stale_after_ms 3000: three heartbeats of the estimator (one per second).

constexpr double kMaxDurationS = 86400.0;

// A duration as a user wrote it: 4, not 4.000000.
std::string format_seconds(double seconds) {
  std::ostringstream text;
  text << seconds;
  return text.str();
}
constexpr std::int64_t kMaxU32 = std::numeric_limits<std::uint32_t>::max();

// Routing tables the kernel reserves: default, main, local.
constexpr std::int64_t kTableDefault = 253;
constexpr std::int64_t kTableMain = 254;
constexpr std::int64_t kTableLocal = 255;

// The rule of table main has preference 32766; a steering rule after it
// would never be reached for destinations main can route.
constexpr std::int64_t kMaxRulePriority = 32765;

// Linux (up to at least 6.18) accepts an IPv4 rule's TOS selector only within
// IPTOS_TOS_MASK (0x1e), so the DSCP values it can match are 1 to 7.
constexpr std::int64_t kMaxIpv4RuleDscp = 7;

std::string read_instance(ConfigReader& reader, const std::string& key, const std::string& example) {
  std::string name = reader.string(key, "");
  if (!reader.has(key)) {
    reader.error(key, "missing; " + example);
  } else if (std::string problem = instance_name_error(name); !problem.empty()) {
    reader.error(key, problem);
  }
  return name;
}

// Reads a duration that must be positive; a zero or negative time would
// remove the hysteresis it configures.
double read_positive_seconds(ConfigReader& reader, const std::string& key, double fallback) {
  double value = reader.number(key, fallback, -kMaxDurationS, kMaxDurationS);
  if (reader.has(key) && value <= 0.0) {
    reader.error(key, "must be greater than 0 s; it is the time a state must hold before steering changes");
    return fallback;
  }
  return value;
}

void read_thresholds(ConfigReader& reader, SteeringThresholds& thresholds) {
  thresholds.yellow_delay_ms = reader.number("thresholds.yellow_delay_ms", 15.0, 0.1, 10000.0);
  thresholds.red_delay_ms = reader.number("thresholds.red_delay_ms", 30.0, 0.1, 10000.0);
  thresholds.red_drop_rate_per_s = reader.number("thresholds.red_drop_rate_per_s", 1.0, 0.01, 1e6);
  thresholds.red_queue_delay_ms = reader.number("thresholds.red_queue_delay_ms", 5.0, 0.1, 10000.0);
  thresholds.red_backlog_kbytes = reader.integer("thresholds.red_backlog_kbytes", 30, 1, 1'000'000);
  thresholds.red_reflector_share = reader.number("thresholds.red_reflector_share", 0.6, 0.5, 1.0);
  thresholds.drop_rate_tau_s = reader.number("thresholds.drop_rate_tau_s", 1.0, 0.05, 60.0);

  if (thresholds.yellow_delay_ms >= thresholds.red_delay_ms) {
    reader.relation_error("thresholds.red_delay_ms", "must be greater than thresholds.yellow_delay_ms (" +
                                                         std::to_string(thresholds.yellow_delay_ms) + ")");
  }
}

void read_linux_rule(ConfigReader& reader, LinuxRuleConfig& rule) {
  std::string families = reader.choice("action.linux.families", "both", {"ipv4", "ipv6", "both"});
  rule.families = RuleFamilies::both;
  if (families == "ipv4") {
    rule.families = RuleFamilies::ipv4;
  } else if (families == "ipv6") {
    rule.families = RuleFamilies::ipv6;
  }

  bool has_fwmark = reader.has("action.linux.fwmark");
  bool has_dscp = reader.has("action.linux.dscp");
  if (has_fwmark == has_dscp) {
    reader.error(has_fwmark ? "action.linux.dscp" : "action.linux.fwmark",
                 "give exactly one of fwmark and dscp to select the traffic to steer, e.g. fwmark = 0x10");
  }
  rule.use_fwmark = !has_dscp;
  rule.fwmark = static_cast<std::uint32_t>(reader.integer("action.linux.fwmark", 0, 1, kMaxU32));
  rule.fwmask = static_cast<std::uint32_t>(reader.integer("action.linux.fwmask", kMaxU32, 1, kMaxU32));
  rule.dscp = static_cast<std::uint8_t>(reader.integer("action.linux.dscp", 0, 1, 63));
  if (reader.has("action.linux.fwmask") && !has_fwmark) {
    reader.error("action.linux.fwmask", "only used with fwmark; remove it");
  }
  if (has_fwmark && (rule.fwmark & ~rule.fwmask) != 0) {
    reader.relation_error("action.linux.fwmark", "has bits outside action.linux.fwmask, which the rule would ignore");
  }
  if (has_dscp && rule.families != RuleFamilies::ipv6 && rule.dscp > kMaxIpv4RuleDscp) {
    reader.error("action.linux.dscp",
                 "Linux matches IPv4 rules only on DSCP 1 to 7; mark the traffic with a fwmark instead "
                 "(e.g. nft ... ip dscp ef meta mark set 0x10) or set families = \"ipv6\"");
  }

  if (!reader.has("action.linux.table")) {
    reader.error("action.linux.table", "missing; give the alternate WAN's routing table id, e.g. table = 200");
  }
  std::int64_t table = reader.integer("action.linux.table", 0, 1, kMaxU32);
  if (table == kTableDefault || table == kTableMain || table == kTableLocal) {
    reader.error("action.linux.table", "is reserved by the kernel (253 default, 254 main, 255 local); "
                                       "use the alternate WAN's own table");
  }
  rule.table = static_cast<std::uint32_t>(table);

  if (!reader.has("action.linux.priority")) {
    reader.error("action.linux.priority", "missing; give the rule preference, e.g. priority = 100");
  }
  rule.priority = static_cast<std::uint32_t>(reader.integer("action.linux.priority", 0, 1, kMaxRulePriority));
}

bool valid_fingerprint(const std::string& text) {
  int digits = 0;
  for (char c : text) {
    if (c == ':') {
      continue;
    }
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return false;
    }
    ++digits;
  }
  return digits == 64;
}

void read_mangle_rule(ConfigReader& reader, MangleRuleConfig& mangle) {
  RouterOsConfig& router = mangle.router;
  mangle.comment = reader.string("action.routeros.comment", "");
  router.url = reader.string("action.routeros.url", "");
  router.user = reader.string("action.routeros.user", "");
  router.password_file = reader.string("action.routeros.password_file", "");
  router.password_env = reader.string("action.routeros.password_env", "");
  router.ca_file = reader.string("action.routeros.ca_file", "");
  router.fingerprint_sha256 = reader.string("action.routeros.fingerprint_sha256", "");
  router.verify_tls = reader.boolean("action.routeros.verify_tls", true);
  router.request_timeout_ms = reader.integer("action.routeros.request_timeout_ms", 2000, 100, 60000);

  if (mangle.comment.empty()) {
    reader.error("action.routeros.comment",
                 "missing or empty; give the comment of the mangle rule that steers, e.g. comment = \"wanctl-steer\"");
  }
  if (!reader.has("action.routeros.url")) {
    reader.error("action.routeros.url", "missing; give the router's address, e.g. url = \"https://192.0.2.1\"");
  } else if (router.url.rfind("https://", 0) != 0 && router.url.rfind("http://", 0) != 0) {
    reader.error("action.routeros.url", "expected a URL starting with https:// (or http:// for a test router)");
  } else if (router.url.find("/rest") != std::string::npos) {
    reader.error("action.routeros.url", "give the router's address without /rest; steering adds it");
  }
  if (router.user.empty()) {
    reader.error("action.routeros.user", "missing or empty; name the RouterOS user steering logs in as");
  }

  bool has_file = reader.has("action.routeros.password_file");
  bool has_env = reader.has("action.routeros.password_env");
  if (has_file == has_env) {
    reader.error(has_file ? "action.routeros.password_env" : "action.routeros.password_file",
                 "give exactly one of password_file and password_env; the password itself never goes in the config");
  } else if (has_file && router.password_file.empty()) {
    reader.error("action.routeros.password_file", "empty; name the file that contains the password");
  } else if (has_env && router.password_env.empty()) {
    reader.error("action.routeros.password_env", "empty; name the environment variable that contains the password");
  }

  if (!router.fingerprint_sha256.empty() && !valid_fingerprint(router.fingerprint_sha256)) {
    reader.error("action.routeros.fingerprint_sha256",
                 "expected the certificate's SHA-256 fingerprint as 64 hexadecimal digits, ':' separators allowed");
  }
  if (!router.fingerprint_sha256.empty() && !router.ca_file.empty()) {
    reader.error("action.routeros.fingerprint_sha256", "set either ca_file or fingerprint_sha256, not both");
  }
  if (!router.verify_tls && (!router.fingerprint_sha256.empty() || !router.ca_file.empty())) {
    reader.error("action.routeros.verify_tls", "false contradicts ca_file or fingerprint_sha256; remove one of them");
  }
}

void read_action(ConfigReader& reader, SteeringConfig& config) {
  if (!reader.has("action.kind")) {
    reader.error("action.kind", "missing; set kind = \"linux\" (policy routing rule) or \"routeros\" (mangle rule)");
  }
  std::string kind = reader.choice("action.kind", "linux", {"linux", "routeros"});
  config.action = kind == "routeros" ? SteeringActionKind::routeros_mangle : SteeringActionKind::linux_rule;

  config.retry_initial_ms = reader.integer("action.retry_initial_ms", 500, 10, 600'000);
  config.retry_max_ms = reader.integer("action.retry_max_ms", 30'000, 10, 3'600'000);
  config.verify_interval_s = reader.integer("action.verify_interval_s", 10, 1, 86400);
  if (config.retry_max_ms < config.retry_initial_ms) {
    reader.relation_error("action.retry_max_ms", "must be at least action.retry_initial_ms (" +
                                                     std::to_string(config.retry_initial_ms) + ")");
  }

  if (config.action == SteeringActionKind::linux_rule) {
    if (!reader.has("action.linux")) {
      reader.error("action.linux", "missing; kind = \"linux\" needs an [action.linux] table with the rule");
    } else {
      read_linux_rule(reader, config.linux_rule);
    }
    if (reader.has("action.routeros")) {
      reader.error("action.kind", "is \"linux\", so the [action.routeros] table is unused; remove it");
      reader.accept_table("action.routeros");
    }
    return;
  }

  if (!reader.has("action.routeros")) {
    reader.error("action.routeros", "missing; kind = \"routeros\" needs an [action.routeros] table with the rule's comment");
  } else {
    read_mangle_rule(reader, config.mangle);
  }
  if (reader.has("action.linux")) {
    reader.error("action.kind", "is \"routeros\", so the [action.linux] table is unused; remove it");
    reader.accept_table("action.linux");
  }
}

}  // namespace

std::string_view to_string(SteeringActionKind kind) {
  return kind == SteeringActionKind::routeros_mangle ? "routeros" : "linux";
}

std::string_view to_string(RuleFamilies families) {
  switch (families) {
    case RuleFamilies::ipv4: return "ipv4";
    case RuleFamilies::ipv6: return "ipv6";
    case RuleFamilies::both: return "both";
  }
  return "unknown";
}

SteeringConfig read_steering_config(ConfigReader& reader) {
  SteeringConfig config;
  config.path = reader.path();

  config.site = read_instance(reader, "site.name", "name the site, e.g. name = \"home\" under [site]");
  config.primary = read_instance(reader, "site.primary", "name the WAN instance that normally carries traffic, e.g. primary = \"wan1\"");
  config.alternate = read_instance(reader, "site.alternate", "name the WAN instance to steer to, e.g. alternate = \"wan2\"");
  if (!config.primary.empty() && config.primary == config.alternate) {
    reader.relation_error("site.alternate", "is the same WAN as site.primary; steering needs two different WANs");
  }

  config.activation_s = read_positive_seconds(reader, "steering.activation_s", 4.0);
  config.recovery_s = read_positive_seconds(reader, "steering.recovery_s", 30.0);
  if (config.recovery_s < config.activation_s) {
    reader.relation_error("steering.recovery_s", "must be at least steering.activation_s (" +
                                                     format_seconds(config.activation_s) +
                                                     " s), or traffic would return faster than it left");
  }
  config.interval_ms = reader.integer("steering.interval_ms", 100, 10, 10'000);
  config.stale_after_ms = reader.integer("steering.stale_after_ms", 3000, 100, 600'000);
  if (config.stale_after_ms < 2 * config.interval_ms) {
    reader.relation_error("steering.stale_after_ms", "must be at least twice steering.interval_ms (" +
                                                         std::to_string(config.interval_ms) + " ms)");
  }
  config.history_file = reader.string("steering.history_file", "/var/lib/wanctl/" + config.site + ".steering.json");
  if (config.history_file.empty()) {
    reader.error("steering.history_file", "empty; name the file that keeps the decision and transitions across restarts");
  }

  read_thresholds(reader, config.thresholds);
  read_action(reader, config);
  read_logging_config(reader, config.logging);

  reader.report_unknown_keys();
  return config;
}

SteeringConfig load_steering_config(const std::string& path) {
  ConfigReader reader = ConfigReader::load(path);
  SteeringConfig config = read_steering_config(reader);
  reader.throw_if_errors();
  return config;
}

}  // namespace wanctl

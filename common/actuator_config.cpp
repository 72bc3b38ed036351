#include "actuator_config.hpp"

#include <cctype>

namespace wanctl {
namespace {

constexpr const char* kDirectionTables[2] = {"actuator.download", "actuator.upload"};

// Linux interface names are at most IFNAMSIZ - 1 = 15 bytes, without '/',
// ':' or white space.
bool valid_interface_name(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == "..") {
    return false;
  }
  for (char c : name) {
    if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c)) || !std::isprint(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

// "1:10" as tc prints class ids: two hexadecimal numbers of up to 4 digits,
// neither of them zero.
bool valid_htb_class(const std::string& text) {
  std::size_t colon = text.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return false;
  }
  std::string major = text.substr(0, colon);
  std::string minor = text.substr(colon + 1);
  if (major.size() > 4 || minor.size() > 4) {
    return false;
  }
  for (char c : major + minor) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return std::stoul(major, nullptr, 16) != 0 && std::stoul(minor, nullptr, 16) != 0;
}

bool valid_fingerprint(const std::string& text) {
  int digits = 0;
  for (char c : text) {
    if (c == ':') {
      continue;
    }
    if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
    ++digits;
  }
  return digits == 64;
}

RouterQueueKind parse_queue_kind(const std::string& text) {
  if (text == "simple") {
    return RouterQueueKind::simple;
  }
  if (text == "type") {
    return RouterQueueKind::type;
  }
  return RouterQueueKind::tree;
}

ActuatorTarget read_target(ConfigReader& reader, ActuatorBackend backend, const std::string& table) {
  ActuatorTarget target;
  const std::string interface_key = table + ".interface";
  const std::string class_key = table + ".class";
  const std::string queue_key = table + ".queue";
  const std::string kind_key = table + ".queue_kind";
  const std::string stats_key = table + ".stats_queue";

  target.interface = reader.string(interface_key, "");
  target.htb_class = reader.string(class_key, "");
  target.queue = reader.string(queue_key, "");
  target.queue_kind = parse_queue_kind(reader.choice(kind_key, "tree", {"tree", "simple", "type"}));
  target.stats_queue = reader.string(stats_key, "");

  if (backend == ActuatorBackend::routeros) {
    for (const std::string& key : {interface_key, class_key}) {
      if (reader.has(key)) {
        reader.error(key, "only used with backend = \"cake\" or \"htb\"; remove it");
      }
    }
    if (!reader.has(queue_key)) {
      reader.error(queue_key, "missing; name the RouterOS queue, e.g. queue = \"wan1-down\"");
    } else if (target.queue.empty()) {
      reader.error(queue_key, "empty; name the RouterOS queue");
    }
    if (reader.has(stats_key) && target.queue_kind != RouterQueueKind::type) {
      reader.error(stats_key, "only used with queue_kind = \"type\"; tree and simple queues carry their own counters");
    }
    return target;
  }

  for (const std::string& key : {queue_key, kind_key, stats_key}) {
    if (reader.has(key)) {
      reader.error(key, "only used with backend = \"routeros\"; remove it");
    }
  }
  if (!reader.has(interface_key)) {
    reader.error(interface_key, "missing; name the network device, e.g. interface = \"eth0\"");
  } else if (!valid_interface_name(target.interface)) {
    reader.error(interface_key, "not a valid interface name; use 1 to 15 characters without '/', ':' or spaces");
  }
  if (backend == ActuatorBackend::htb) {
    if (!reader.has(class_key)) {
      reader.error(class_key, "missing; name the HTB class as tc prints it, e.g. class = \"1:10\"");
    } else if (!valid_htb_class(target.htb_class)) {
      reader.error(class_key, "not an HTB class id; use \"major:minor\" in hexadecimal, neither zero, e.g. \"1:10\"");
    }
  } else if (reader.has(class_key)) {
    reader.error(class_key, "only used with backend = \"htb\"; remove it");
  }
  return target;
}

void read_routeros(ConfigReader& reader, RouterOsConfig& config) {
  config.url = reader.string("actuator.routeros.url", "");
  config.user = reader.string("actuator.routeros.user", "");
  config.password_file = reader.string("actuator.routeros.password_file", "");
  config.password_env = reader.string("actuator.routeros.password_env", "");
  config.ca_file = reader.string("actuator.routeros.ca_file", "");
  config.fingerprint_sha256 = reader.string("actuator.routeros.fingerprint_sha256", "");
  config.verify_tls = reader.boolean("actuator.routeros.verify_tls", true);
  config.request_timeout_ms = reader.integer("actuator.routeros.request_timeout_ms", 2000, 100, 60000);
  config.credential_recheck_s = reader.integer("actuator.routeros.credential_recheck_s", 60, 1, 86400);

  if (!reader.has("actuator.routeros.url")) {
    reader.error("actuator.routeros.url", "missing; give the router's address, e.g. url = \"https://192.0.2.1\"");
  } else if (config.url.rfind("https://", 0) != 0 && config.url.rfind("http://", 0) != 0) {
    reader.error("actuator.routeros.url", "expected a URL starting with https:// (or http:// for a test router)");
  } else if (config.url.find("/rest") != std::string::npos) {
    reader.error("actuator.routeros.url", "give the router's address without /rest; the actuator adds it");
  }
  if (config.user.empty()) {
    reader.error("actuator.routeros.user", "missing or empty; name the RouterOS user the actuator logs in as");
  }

  bool has_file = reader.has("actuator.routeros.password_file");
  bool has_env = reader.has("actuator.routeros.password_env");
  if (has_file == has_env) {
    reader.error(has_file ? "actuator.routeros.password_env" : "actuator.routeros.password_file",
                 "give exactly one of password_file and password_env; the password itself never goes in the config");
  } else if (has_file && config.password_file.empty()) {
    reader.error("actuator.routeros.password_file", "empty; name the file that contains the password");
  } else if (has_env && config.password_env.empty()) {
    reader.error("actuator.routeros.password_env", "empty; name the environment variable that contains the password");
  }

  if (!config.fingerprint_sha256.empty() && !valid_fingerprint(config.fingerprint_sha256)) {
    reader.error("actuator.routeros.fingerprint_sha256",
                 "expected the certificate's SHA-256 fingerprint as 64 hexadecimal digits, ':' separators allowed");
  }
  if (!config.fingerprint_sha256.empty() && !config.ca_file.empty()) {
    reader.error("actuator.routeros.fingerprint_sha256", "set either ca_file or fingerprint_sha256, not both");
  }
  if (!config.verify_tls && (!config.fingerprint_sha256.empty() || !config.ca_file.empty())) {
    reader.error("actuator.routeros.verify_tls",
                 "false contradicts ca_file or fingerprint_sha256; remove one of them");
  }
}

}  // namespace

std::string_view to_string(ActuatorBackend backend) {
  switch (backend) {
    case ActuatorBackend::cake: return "cake";
    case ActuatorBackend::htb: return "htb";
    case ActuatorBackend::routeros: return "routeros";
  }
  return "unknown";
}

std::string_view to_string(RouterQueueKind kind) {
  switch (kind) {
    case RouterQueueKind::tree: return "tree";
    case RouterQueueKind::simple: return "simple";
    case RouterQueueKind::type: return "type";
  }
  return "unknown";
}

void read_actuator_config(ConfigReader& reader, ActuatorConfig& config) {
  if (!reader.has("actuator")) {
    return;  // a file without [actuator] serves the other stages; the actuator itself rejects it
  }
  config.configured = true;

  std::string backend = reader.choice("actuator.backend", "cake", {"cake", "htb", "routeros"});
  config.backend = backend == "htb"        ? ActuatorBackend::htb
                   : backend == "routeros" ? ActuatorBackend::routeros
                                           : ActuatorBackend::cake;
  bool remote = config.backend == ActuatorBackend::routeros;

  config.dry_run = reader.boolean("actuator.dry_run", false);
  config.dead_band_percent = reader.number("actuator.dead_band_percent", 1.0, 0.0, 50.0);
  config.min_write_interval_ms = reader.integer("actuator.min_write_interval_ms", remote ? 1000 : 0, 0, 3'600'000);
  config.telemetry_interval_ms = reader.integer("actuator.telemetry_interval_ms", remote ? 2000 : 100, 10, 60'000);
  config.decision_max_age_ms = reader.integer("actuator.decision_max_age_ms", 2000, 100, 600'000);
  config.retry_attempts = reader.integer("actuator.retry_attempts", 3, 1, 10);
  config.retry_initial_ms = reader.integer("actuator.retry_initial_ms", 200, 10, 60'000);
  config.retry_max_ms = reader.integer("actuator.retry_max_ms", 10'000, 10, 600'000);
  config.attach_retry_ms = reader.integer("actuator.attach_retry_ms", 1000, 10, 60'000);
  if (config.retry_max_ms < config.retry_initial_ms) {
    reader.relation_error("actuator.retry_max_ms", "must be at least actuator.retry_initial_ms (" +
                                                       std::to_string(config.retry_initial_ms) + ")");
  }

  for (int direction = 0; direction < 2; ++direction) {
    if (reader.has(kDirectionTables[direction])) {
      config.directions[direction] = read_target(reader, config.backend, kDirectionTables[direction]);
    }
  }
  if (!config.directions[0] && !config.directions[1]) {
    reader.error("actuator.download", "missing, as is actuator.upload; add at least one direction table");
  }

  if (config.directions[0] && config.directions[1]) {
    const ActuatorTarget& down = *config.directions[0];
    const ActuatorTarget& up = *config.directions[1];
    bool same_local = !remote && down.interface == up.interface && down.htb_class == up.htb_class;
    bool same_queue = remote && down.queue == up.queue && down.queue_kind == up.queue_kind &&
                      down.queue_kind != RouterQueueKind::simple;
    if (same_local || same_queue) {
      reader.relation_error("actuator.upload", "drives the same shaper as actuator.download; each direction needs its own "
                                               "(only a simple queue carries both directions)");
    }
  }

  if (remote) {
    read_routeros(reader, config.routeros);
  } else if (reader.has("actuator.routeros")) {
    reader.error("actuator.backend", "is not \"routeros\", so the [actuator.routeros] table is unused; remove it");
    reader.accept_table("actuator.routeros");
  }
}

}  // namespace wanctl

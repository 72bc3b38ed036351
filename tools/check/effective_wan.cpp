#include "effective_settings.hpp"

#include "record_fields.hpp"

namespace wanctl {
namespace {

constexpr const char* kDirectionNames[kDirectionCount] = {"download", "upload"};

void print_prober(SettingsPrinter& out, const ProberConfig& prober) {
  out.table("prober");
  std::vector<std::string> reflectors;
  for (const IpAddress& address : prober.reflectors) {
    reflectors.push_back(to_string(address));
  }
  out.list("reflectors", reflectors);

  out.integer("active_reflectors", prober.active_reflectors);
  out.number("probe_rate_hz", prober.probe_rate_hz);
  out.string("method", to_string(prober.method));
  out.integer("timeout_ms", prober.timeout_ms);

  out.string("socket", to_string(prober.socket_mode));
  if (prober.interface.empty()) {
    out.unset("interface", "routing chooses the egress interface");
  } else {
    out.string("interface", prober.interface);
  }
  if (prober.source_address) {
    out.string("source_address", to_string(*prober.source_address));
  } else {
    out.unset("source_address", "the kernel chooses the source address");
  }
  out.integer("fwmark", prober.fwmark);
  if (prober.user.empty()) {
    out.unset("user", "the prober keeps the user it was started as");
  } else {
    out.string("user", prober.user);
  }

  out.integer("replacement_timeouts", prober.replacement_timeouts);
  out.integer("replacement_window_probes", prober.replacement_window_probes);
  out.integer("timestamp_fallback_probes", prober.timestamp_fallback_probes);
}

void print_estimator_direction(SettingsPrinter& out, const char* name, const DirectionRateConfig& direction) {
  out.table(std::string("estimator.") + name);
  out.number("min_rate_mbps", direction.min_rate_mbps);
  out.number("base_rate_mbps", direction.base_rate_mbps);
  out.number("max_rate_mbps", direction.max_rate_mbps);
  out.number("green_floor_mbps", direction.green_floor_mbps);
  out.number("yellow_floor_mbps", direction.yellow_floor_mbps);
  if (direction.soft_red_clamp) {
    out.number("soft_red_floor_mbps", direction.soft_red_floor_mbps);
  } else {
    out.unset("soft_red_floor_mbps", "SOFT_RED holds the current rate");
  }
  out.number("red_floor_mbps", direction.red_floor_mbps);
  out.number("safe_rate_mbps", direction.safe_rate_mbps);
  out.boolean("monitor_only", direction.monitor_only);
}

void print_estimator(SettingsPrinter& out, const EstimatorConfig& estimator) {
  if (!estimator.configured) {
    out.unset("[estimator]", "the file has no [estimator] table; wanctl-estimator will not start with it");
    return;
  }
  out.table("estimator");
  out.number("yellow_delta_ms", estimator.yellow_delta_ms);
  out.number("soft_red_delta_ms", estimator.soft_red_delta_ms);
  out.number("red_delta_ms", estimator.red_delta_ms);
  out.number("delta_smoothing_s", estimator.delta_smoothing_s);
  out.number("reflector_fresh_s", estimator.reflector_fresh_s);
  out.number("soft_red_sustain_s", estimator.soft_red_sustain_s);
  out.number("green_hold_s", estimator.green_hold_s);
  out.number("bloat_delta_ms", estimator.bloat_delta_ms);
  out.number("bloat_window_s", estimator.bloat_window_s);
  out.number("bloat_share", estimator.bloat_share);
  out.number("baseline_start_s", estimator.baseline_start_s);
  out.number("baseline_fall_s", estimator.baseline_fall_s);
  out.number("baseline_rise_s", estimator.baseline_rise_s);
  out.number("baseline_reset_after_s", estimator.baseline_reset_after_s);
  out.number("clock_step_ms", estimator.clock_step_ms);
  out.number("increase_load_share", estimator.increase_load_share);
  out.number("low_load_share", estimator.low_load_share);
  out.number("idle_load_share", estimator.idle_load_share);
  out.number("idle_after_s", estimator.idle_after_s);
  out.number("telemetry_stale_s", estimator.telemetry_stale_s);
  out.number("cut_capacity_share", estimator.cut_capacity_share);
  out.number("queue_drain_s", estimator.queue_drain_s);
  out.number("capacity_window_s", estimator.capacity_window_s);
  out.number("refractory_s", estimator.refractory_s);
  out.number("increase_doubling_s", estimator.increase_doubling_s);
  out.number("idle_drift_s", estimator.idle_drift_s);
  out.number("stall_after_s", estimator.stall_after_s);
  out.number("outage_after_s", estimator.outage_after_s);
  out.number("heartbeat_s", estimator.heartbeat_s);
  out.number("stale_sample_s", estimator.stale_sample_s);
  out.string("state_file", estimator.state_file);
  out.number("state_save_s", estimator.state_save_s);

  for (int direction = 0; direction < kDirectionCount; ++direction) {
    print_estimator_direction(out, kDirectionNames[direction], estimator.directions[direction]);
  }
}

void print_actuator_target(SettingsPrinter& out, ActuatorBackend backend, const char* name,
                           const ActuatorTarget& target) {
  out.table(std::string("actuator.") + name);
  if (backend == ActuatorBackend::routeros) {
    out.string("queue", target.queue);
    out.string("queue_kind", to_string(target.queue_kind));
    if (target.queue_kind == RouterQueueKind::type) {
      out.string("stats_queue", target.stats_queue);
    }
    return;
  }
  out.string("interface", target.interface);
  if (backend == ActuatorBackend::htb) {
    out.string("class", target.htb_class);
  }
}

void print_actuator(SettingsPrinter& out, const ActuatorConfig& actuator) {
  if (!actuator.configured) {
    out.unset("[actuator]", "the file has no [actuator] table; wanctl-actuator will not start with it");
    return;
  }
  out.table("actuator");
  out.string("backend", to_string(actuator.backend));
  out.boolean("dry_run", actuator.dry_run);
  out.number("dead_band_percent", actuator.dead_band_percent);
  out.integer("min_write_interval_ms", actuator.min_write_interval_ms);
  out.integer("telemetry_interval_ms", actuator.telemetry_interval_ms);
  out.integer("decision_max_age_ms", actuator.decision_max_age_ms);
  out.integer("retry_attempts", actuator.retry_attempts);
  out.integer("retry_initial_ms", actuator.retry_initial_ms);
  out.integer("retry_max_ms", actuator.retry_max_ms);
  out.integer("attach_retry_ms", actuator.attach_retry_ms);

  for (int direction = 0; direction < kDirectionCount; ++direction) {
    if (actuator.directions[direction]) {
      print_actuator_target(out, actuator.backend, kDirectionNames[direction], *actuator.directions[direction]);
    }
  }
  if (actuator.backend == ActuatorBackend::routeros) {
    out.table("actuator.routeros");
    print_router_settings(out, actuator.routeros);
    out.integer("credential_recheck_s", actuator.routeros.credential_recheck_s);
  }
}

}  // namespace

void print_router_settings(SettingsPrinter& out, const RouterOsConfig& router) {
  out.string("url", router.url);
  out.string("user", router.user);
  // Only where the password is kept; the checker never reads the password.
  if (!router.password_file.empty()) {
    out.string("password_file", router.password_file);
  } else {
    out.string("password_env", router.password_env);
  }
  if (!router.ca_file.empty()) {
    out.string("ca_file", router.ca_file);
  } else if (router.fingerprint_sha256.empty()) {
    out.unset("ca_file", "the system's CA certificates verify the router");
  }
  if (!router.fingerprint_sha256.empty()) {
    out.string("fingerprint_sha256", router.fingerprint_sha256);
  }
  out.boolean("verify_tls", router.verify_tls);
  out.integer("request_timeout_ms", router.request_timeout_ms);
}

void print_logging_settings(SettingsPrinter& out, const LogOptions& options) {
  out.table("logging");
  out.string("level", log_level_name(options.level));
  if (options.file.empty()) {
    out.unset("file", "logs go to stderr only (the journal under systemd)");
  } else {
    out.string("file", options.file);
  }
  out.number("file_max_mb", static_cast<double>(options.file_max_bytes) / (1024.0 * 1024.0));
  out.integer("file_count", static_cast<std::int64_t>(options.file_count));
}

void print_wan_settings(SettingsPrinter& out, const WanConfig& config) {
  out.table("instance");
  out.string("name", config.instance);
  print_prober(out, config.prober);
  print_estimator(out, config.estimator);
  print_actuator(out, config.actuator);
  print_logging_settings(out, config.logging);
}

void print_exporter_settings(SettingsPrinter& out, const ExporterConfig& config) {
  out.table("exporter");
  out.string("listen_address", config.listen_address);
  out.integer("port", config.port);
  out.list("instances", config.instances);
  out.list("required_stages", config.required_stages);
  out.number("stale_after_s", config.stale_after_s);
  out.integer("http_threads", config.http_threads);
  print_logging_settings(out, config.logging);
}

}  // namespace wanctl

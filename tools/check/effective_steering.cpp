#include "effective_settings.hpp"

namespace wanctl {

void print_steering_settings(SettingsPrinter& out, const SteeringConfig& config) {
  out.table("site");
  out.string("name", config.site);
  out.string("primary", config.primary);
  out.string("alternate", config.alternate);

  out.table("steering");
  out.number("activation_s", config.activation_s);
  out.number("recovery_s", config.recovery_s);
  out.integer("interval_ms", config.interval_ms);
  out.integer("stale_after_ms", config.stale_after_ms);
  out.string("history_file", config.history_file);

  out.table("thresholds");
  out.number("yellow_delay_ms", config.thresholds.yellow_delay_ms);
  out.number("red_delay_ms", config.thresholds.red_delay_ms);
  out.number("red_reflector_share", config.thresholds.red_reflector_share);
  out.number("red_drop_rate_per_s", config.thresholds.red_drop_rate_per_s);
  out.number("red_queue_delay_ms", config.thresholds.red_queue_delay_ms);
  out.integer("red_backlog_kbytes", config.thresholds.red_backlog_kbytes);
  out.number("drop_rate_tau_s", config.thresholds.drop_rate_tau_s);

  // Before the action tables: a RouterOS connection's keys come last.
  print_logging_settings(out, config.logging);

  out.table("action");
  out.string("kind", to_string(config.action));
  out.integer("retry_initial_ms", config.retry_initial_ms);
  out.integer("retry_max_ms", config.retry_max_ms);
  out.integer("verify_interval_s", config.verify_interval_s);

  if (config.action == SteeringActionKind::linux_rule) {
    const LinuxRuleConfig& rule = config.linux_rule;
    out.table("action.linux");
    if (rule.use_fwmark) {
      out.integer("fwmark", rule.fwmark);
      out.integer("fwmask", rule.fwmask);
    } else {
      out.integer("dscp", rule.dscp);
    }
    out.integer("table", rule.table);
    out.integer("priority", rule.priority);
    out.string("families", to_string(rule.families));
    return;
  }

  const MangleRuleConfig& mangle = config.mangle;
  out.table("action.routeros");
  out.string("comment", mangle.comment);
  print_router_settings(out, mangle.router);
}

}  // namespace wanctl

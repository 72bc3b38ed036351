// wanctl-steering: moves latency-sensitive traffic of a two-WAN site to the
// healthier WAN by switching a RouterOS mangle rule or a Linux policy rule.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "logging.hpp"
#include "mangle_rule.hpp"
#include "policy_rule.hpp"
#include "steering_config.hpp"
#include "steering_service.hpp"

namespace {

std::atomic<bool> stop_requested{false};

void request_stop(int) { stop_requested.store(true, std::memory_order_relaxed); }

void install_signal_handlers() {
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
}

std::unique_ptr<wanctl::SteeringAction> make_action(const wanctl::SteeringConfig& config) {
  if (config.action == wanctl::SteeringActionKind::routeros_mangle) {
    const wanctl::RouterOsConfig& router = config.mangle.router;
    if (router.url.rfind("http://", 0) == 0) {
      spdlog::warn("{} is plain HTTP: the router password crosses the network readable to anyone on the path; use "
                   "https:// outside a test setup",
                   router.url);
    }
    if (!router.verify_tls) {
      spdlog::warn("TLS certificate verification is off for {} (action.routeros.verify_tls = false); prefer "
                   "ca_file or fingerprint_sha256",
                   router.url);
    }
    return std::make_unique<wanctl::MangleRuleAction>(config.mangle);
  }
  return std::make_unique<wanctl::PolicyRuleAction>(config.linux_rule);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wanctl-steering: moves latency-sensitive traffic to the healthier of two WANs"};
  std::string config_path;
  bool recreate = false;
  std::string log_level;
  app.add_option("--config", config_path, "steering configuration file (TOML)")->required();
  app.add_flag("--recreate", recreate, "recreate a steering status block whose layout does not match this build");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error; overrides [logging] level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  wanctl::SteeringConfig config;
  try {
    config = wanctl::load_steering_config(config_path);
  } catch (const wanctl::ConfigError& error) {
    std::fprintf(stderr, "wanctl-steering: invalid configuration:\n%s\n", error.what());
    return 2;
  }

  if (!log_level.empty()) {
    config.logging.level = spdlog::level::from_str(log_level);
  }
  try {
    wanctl::make_stage_logger("steering", config.site, config.logging);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "wanctl-steering: %s\n", error.what());
    return 1;
  }
  install_signal_handlers();

  try {
    wanctl::SteeringService service(config, make_action(config), recreate);
    service.run(stop_requested);
  } catch (const std::exception& error) {
    spdlog::error("cannot start: {}", error.what());
    return 1;
  }
  return 0;
}

// wanctl-actuator: applies one WAN's rate decisions to its shaper and
// publishes the shaper's readings as telemetry.
#include <CLI/CLI.hpp>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <memory>

#include "actuator.hpp"
#include "local_shaper.hpp"
#include "logging.hpp"
#include "routeros_shaper.hpp"
#include "shared_object.hpp"
#include "wan_config.hpp"

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

void warn_about_transport(const wanctl::RouterOsConfig& routeros) {
  if (routeros.url.rfind("http://", 0) == 0) {
    spdlog::warn("{} is plain HTTP: the router password crosses the network readable to anyone on the path; use "
                 "https:// outside a test setup",
                 routeros.url);
  }
  if (!routeros.verify_tls && routeros.url.rfind("https://", 0) == 0) {
    spdlog::warn("TLS certificate verification is off for {} (actuator.routeros.verify_tls = false): anyone on the "
                 "path can pose as the router and read the password; prefer ca_file or fingerprint_sha256",
                 routeros.url);
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wanctl-actuator: applies rate decisions to CAKE, HTB or a RouterOS router and publishes telemetry"};
  std::string config_path;
  bool dry_run = false;
  bool recreate = false;
  std::string log_level;
  app.add_option("--config", config_path, "WAN configuration file (TOML)")->required();
  app.add_flag("--dry-run", dry_run, "read the shaper and log each write it would make, but write nothing");
  app.add_flag("--recreate", recreate, "recreate a telemetry block whose layout does not match this build");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error; overrides [logging] level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  wanctl::WanConfig config;
  try {
    config = wanctl::load_wan_config(config_path);
  } catch (const wanctl::ConfigError& error) {
    std::fprintf(stderr, "wanctl-actuator: invalid configuration:\n%s\n", error.what());
    return 2;
  }
  if (!config.actuator.configured) {
    std::fprintf(stderr, "wanctl-actuator: %s has no [actuator] table; add one with backend and a direction\n",
                 config_path.c_str());
    return 2;
  }
  config.actuator.dry_run = config.actuator.dry_run || dry_run;

  if (!log_level.empty()) {
    config.logging.level = spdlog::level::from_str(log_level);
  }
  try {
    wanctl::make_stage_logger("actuator", config.instance, config.logging);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "wanctl-actuator: %s\n", error.what());
    return 1;
  }
  install_signal_handlers();

  try {
    std::unique_ptr<wanctl::Shaper> shaper;
    if (config.actuator.backend == wanctl::ActuatorBackend::routeros) {
      warn_about_transport(config.actuator.routeros);
      shaper = std::make_unique<wanctl::RouterOsShaper>(config.actuator);
    } else {
      shaper = std::make_unique<wanctl::LocalShaper>(config.actuator);
    }
    spdlog::info("backend {}, config {}", wanctl::to_string(config.actuator.backend), config_path);

    wanctl::Actuator actuator(config, *shaper, recreate);
    actuator.run(stop_requested);
  } catch (const wanctl::ShmError& error) {
    spdlog::error("{}", error.what());
    return 1;
  } catch (const std::exception& error) {
    spdlog::error("cannot start: {}", error.what());
    return 1;
  }
  return 0;
}

// wanctl-prober: sends ICMP probes to the reflectors of one WAN and writes
// every outcome to the instance's samples ring.
//
// Exit status: 0 after SIGTERM, SIGINT or SIGHUP; 78 (EX_CONFIG) for an
// invalid configuration file; 1 for any other startup failure (missing
// interface, shared memory, sockets, privileges), after which a supervisor
// may restart it.
#include <CLI/CLI.hpp>

#include <iostream>

#include "logging.hpp"
#include "prober.hpp"
#include "wan_config.hpp"

namespace {

constexpr int kExitConfig = 78;
constexpr int kExitStartup = 1;

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"wanctl-prober: probe the reflectors of one WAN with ICMP echo or timestamp requests and "
               "write every reply, timeout and error to the samples ring in shared memory"};
  std::string config_path;
  bool recreate = false;
  std::string log_level = "info";
  app.add_option("--config", config_path, "WAN configuration file (TOML) with [instance] and [prober]")
      ->required();
  app.add_flag("--recreate", recreate,
               "remove and recreate the samples ring and the prober status block when their layout does not "
               "match this build (readers attached to the old objects must restart)");
  app.add_option("--log-level", log_level, "trace, debug, info, warn or error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  CLI11_PARSE(app, argc, argv);

  wanctl::WanConfig config;
  try {
    config = wanctl::load_wan_config(config_path);
  } catch (const wanctl::ConfigError& error) {
    std::cerr << "wanctl-prober: invalid configuration:\n" << error.what() << "\n";
    return kExitConfig;
  }

  auto logger = wanctl::make_stage_logger("prober", config.instance, config.logging);
  logger->set_level(spdlog::level::from_str(log_level));
  try {
    wanctl::prober::Prober prober(config, logger);
    prober.start(recreate);
    return prober.run();
  } catch (const wanctl::prober::StartupError& error) {
    logger->error("cannot start: {}", error.what());
    return kExitStartup;
  } catch (const std::exception& error) {
    logger->error("stopped by an unexpected error: {}", error.what());
    return kExitStartup;
  }
}

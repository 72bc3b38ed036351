// wanctl-estimator: the estimator stage of one WAN. Reads the prober's
// samples and the actuator's telemetry from shared memory and publishes rate
// decisions and a status snapshot.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "live_estimator.hpp"
#include "logging.hpp"
#include "process_signals.hpp"
#include "wan_config.hpp"

using namespace wanctl;

int main(int argc, char** argv) {
  CLI::App app{"wanctl estimator: turns probe samples into shaper rate decisions for one WAN."};
  std::string config_path;
  bool recreate = false;
  app.add_option("--config", config_path, "WAN configuration file, e.g. /etc/wanctl/wan1.toml")->required();
  app.add_flag("--recreate", recreate,
               "remove and recreate the decisions ring and status block when they exist with another layout");
  CLI11_PARSE(app, argc, argv);

  WanConfig config;
  try {
    config = load_wan_config(config_path);
  } catch (const ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
  if (!config.estimator.configured) {
    std::fprintf(stderr, "%s: no [estimator] table; add one with [estimator.download] and [estimator.upload]\n",
                 config_path.c_str());
    return 2;
  }

  auto log = make_stage_logger("estimator", config.instance, config.logging);
  estimator::install_signal_handlers();
  try {
    estimator::LiveEstimator live(std::move(config), recreate, log);
    return live.run();
  } catch (const ShmError& error) {
    log->critical("cannot start: {}", error.what());
    return 1;
  }
}

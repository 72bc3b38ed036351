// One WAN's configuration file: the [instance] table plus one table per stage.
//
// Every stage loads the whole file through load_wan_config(), so each stage,
// and the config checker, reports exactly the same errors for the same file.
// Each stage's table is read by its own reader (e.g. read_prober_config()).
#pragma once

#include <string>

#include "actuator_config.hpp"
#include "config_reader.hpp"
#include "estimator_config.hpp"
#include "logging_config.hpp"
#include "prober_config.hpp"

namespace wanctl {

struct WanConfig {
  std::string path;      // the file it was read from
  std::string instance;  // names the shared-memory objects: wanctl.<instance>.*
  LogOptions logging;    // [logging], the same for every stage of the WAN
  ActuatorConfig actuator;
  ProberConfig prober;
  EstimatorConfig estimator;
};

// Reads and validates the file; throws ConfigError listing every problem.
WanConfig load_wan_config(const std::string& path);

// Reads from an already parsed file, recording errors in the reader; for tests
// and for the checker, which reports several files at once.
WanConfig read_wan_config(ConfigReader& reader);

}  // namespace wanctl

// Read-only attachment to one WAN's estimator status block and actuator
// telemetry block, named after the WAN instance.
#pragma once

#include <memory>
#include <string>

#include "latest_block.hpp"
#include "wan_signals.hpp"

namespace wanctl {

class WanInputs {
 public:
  // Attaches to wanctl.<instance>.status and wanctl.<instance>.telemetry.
  // Throws std::runtime_error that names the config key, the instance and
  // the missing object when either cannot be opened.
  WanInputs(std::string key, std::string instance);

  WanReadings read() const;

  // Attaches again to objects that were removed and created anew (a stage
  // started with recreate). Returns an error message when the new object
  // cannot be opened; the old mapping is then kept.
  std::string reattach_if_replaced();

  const std::string& instance() const { return instance_; }

 private:
  std::string key_;       // config key that named the instance, for errors
  std::string instance_;
  std::unique_ptr<BlockReader<EstimatorStatus>> status_;
  std::unique_ptr<BlockReader<LinkTelemetry>> telemetry_;
};

}  // namespace wanctl

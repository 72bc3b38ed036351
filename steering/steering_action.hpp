// The device side of steering: a rule that, while active, sends
// latency-sensitive traffic to the alternate WAN.
//
// Implementations write only when the device differs from the wanted state
// and confirm every write by reading the device back, so apply() returns ok
// only for a state the device itself reported.
#pragma once

#include <string>

#include "records.hpp"

namespace wanctl {

struct DeviceReading {
  bool ok = false;
  bool steered = false;   // the rule is active
  bool partial = false;   // active for some parts only (one address family of two)
  DeviceState state = DeviceState::unknown;
  std::string error;      // what failed and what to do, when not ok
};

struct ActionOutcome {
  bool ok = false;
  int writes = 0;         // device writes made, confirmed or not
  DeviceState state = DeviceState::unknown;
  std::string error;
};

class SteeringAction {
 public:
  virtual ~SteeringAction() = default;

  // The rule in the device's own terms, for logs and errors.
  virtual std::string describe() const = 0;

  virtual DeviceReading read() = 0;

  // Makes the rule active (steered) or inactive, then verifies.
  virtual ActionOutcome apply(bool steered) = 0;
};

}  // namespace wanctl

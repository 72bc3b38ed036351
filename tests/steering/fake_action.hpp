// A device for service tests: a rule state the test can read, change behind
// the service's back, or make fail.
#pragma once

#include <memory>
#include <string>

#include "steering_action.hpp"

namespace wanctl::test {

struct FakeDevice {
  bool steered = false;
  bool partial = false;
  int failures_left = 0;   // reads and applies fail while this is above zero
  int reads = 0;
  int applies = 0;
  int writes = 0;
};

class FakeAction : public SteeringAction {
 public:
  explicit FakeAction(std::shared_ptr<FakeDevice> device) : device_(std::move(device)) {}

  std::string describe() const override { return "fake rule"; }

  DeviceReading read() override {
    ++device_->reads;
    DeviceReading reading;
    if (fail()) {
      reading.state = DeviceState::failing;
      reading.error = "fake device unreachable";
      return reading;
    }
    reading.ok = true;
    reading.state = DeviceState::ok;
    reading.steered = device_->steered;
    reading.partial = device_->partial;
    return reading;
  }

  ActionOutcome apply(bool steered) override {
    ++device_->applies;
    ActionOutcome outcome;
    if (fail()) {
      outcome.state = DeviceState::failing;
      outcome.error = "fake device rejected the change";
      return outcome;
    }
    if (device_->steered != steered || device_->partial) {
      device_->steered = steered;
      device_->partial = false;
      ++device_->writes;
      outcome.writes = 1;
    }
    outcome.ok = true;
    outcome.state = DeviceState::ok;
    return outcome;
  }

 private:
  bool fail() {
    if (device_->failures_left > 0) {
      --device_->failures_left;
      return true;
    }
    return false;
  }

  std::shared_ptr<FakeDevice> device_;
};

}  // namespace wanctl::test

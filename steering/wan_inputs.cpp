#include "wan_inputs.hpp"

#include <stdexcept>

#include "object_name.hpp"

namespace wanctl {
namespace {

template <typename T>
std::unique_ptr<BlockReader<T>> open_block(const std::string& key, const std::string& instance) {
  std::string name = object_name(instance, RecordTraits<T>::object);
  try {
    return std::make_unique<BlockReader<T>>(BlockReader<T>::open(name));
  } catch (const ShmError& error) {
    throw std::runtime_error(key + " = \"" + instance + "\": " + error.what() +
                             " Check that the WAN instance name is right and that its estimator and actuator run.");
  }
}

}  // namespace

WanInputs::WanInputs(std::string key, std::string instance)
    : key_(std::move(key)),
      instance_(std::move(instance)),
      status_(open_block<EstimatorStatus>(key_, instance_)),
      telemetry_(open_block<LinkTelemetry>(key_, instance_)) {}

WanReadings WanInputs::read() const {
  WanReadings readings;
  readings.status = status_->read();
  readings.telemetry = telemetry_->read();
  return readings;
}

std::string WanInputs::reattach_if_replaced() {
  try {
    if (status_->object().replaced_by_name()) {
      status_ = open_block<EstimatorStatus>(key_, instance_);
    }
    if (telemetry_->object().replaced_by_name()) {
      telemetry_ = open_block<LinkTelemetry>(key_, instance_);
    }
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return {};
}

}  // namespace wanctl

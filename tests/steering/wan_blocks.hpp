// A test's stand-in for one WAN's estimator and actuator: it publishes the
// status and telemetry blocks steering reads, with times the test chooses.
#pragma once

#include <cstdint>
#include <string>

#include "latest_block.hpp"
#include "object_name.hpp"
#include "unique_name.hpp"

namespace wanctl::test {

// The signal values of one moment of a WAN.
struct WanSample {
  double delay_ms = 0.0;              // smoothed delay delta, both directions
  CongestionState state = CongestionState::green;
  std::uint64_t drops_total = 0;      // cumulative CAKE drops of the download direction
  std::int32_t queue_delay_us = 500;  // CAKE average sojourn delay
  std::uint32_t backlog_bytes = 0;
  int reflectors = 4;                 // reflectors with a baseline
  int reflectors_delayed = 0;         // of those, the first ones get an RTT delta of 2 * delay_ms, the rest 1 ms
};

class WanBlocks {
 public:
  explicit WanBlocks(const std::string& instance)
      : instance_(instance),
        status_cleanup_(object_name(instance, "status")),
        telemetry_cleanup_(object_name(instance, "telemetry")),
        status_(BlockWriter<EstimatorStatus>::open(object_name(instance, "status"), false)),
        telemetry_(BlockWriter<LinkTelemetry>::open(object_name(instance, "telemetry"), false)) {}

  // Publishes both blocks as of time_ns, heartbeat included.
  void publish(const WanSample& sample, std::int64_t time_ns) {
    EstimatorStatus status{};
    status.time_mono_ns = time_ns;
    for (DirectionDecision& direction : status.directions) {
      direction.smoothed_delta_us = static_cast<std::int32_t>(sample.delay_ms * 1000.0);
      direction.delta_us = direction.smoothed_delta_us;
      direction.state = sample.state;
      direction.rate_bps = 50'000'000;
    }
    status.reflector_count = static_cast<std::uint32_t>(sample.reflectors);
    for (int r = 0; r < sample.reflectors; ++r) {
      ReflectorEstimate& reflector = status.reflectors[r];
      reflector.reflector_id = static_cast<std::uint16_t>(r);
      reflector.has_baseline = 1;
      reflector.baseline_rtt_us = 20'000;
      reflector.delta_rtt_us = r < sample.reflectors_delayed ? static_cast<std::int32_t>(2000.0 * sample.delay_ms) : 1000;
    }
    status_.publish(status);
    status_.heartbeat(time_ns);

    LinkTelemetry telemetry{};
    telemetry.time_mono_ns = time_ns;
    telemetry.interval_ns = 100'000'000;
    for (DirectionTelemetry& direction : telemetry.directions) {
      direction.valid = 1;
      direction.device_state = DeviceState::ok;
      direction.average_delay_us = sample.queue_delay_us;
      direction.peak_delay_us = sample.queue_delay_us;
      direction.backlog_bytes = sample.backlog_bytes;
    }
    telemetry.directions[0].drops_total = sample.drops_total;
    telemetry_.publish(telemetry);
    telemetry_.heartbeat(time_ns);
  }

  const std::string& instance() const { return instance_; }

 private:
  std::string instance_;
  ObjectCleanup status_cleanup_;
  ObjectCleanup telemetry_cleanup_;
  BlockWriter<EstimatorStatus> status_;
  BlockWriter<LinkTelemetry> telemetry_;
};

}  // namespace wanctl::test

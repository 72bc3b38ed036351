// The sample-to-shaper latency histogram: for every decision the actuator
// confirms, the time from the kernel receive time of the probe that caused it
// to the device's confirmation of the new rate.
//
// The actuator reports the latency of its latest confirmed decision in the
// telemetry block; a follower thread polls that block and observes each newly
// confirmed decision once.
#pragma once

#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "latest_block.hpp"
#include "records.hpp"

namespace wanctl {

// Bucket bounds in seconds: a local CAKE write takes well under a millisecond
// after the decision, a router reached over HTTPS tens to hundreds.
inline const std::vector<double> kApplyLatencyBuckets_s = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                                           0.1,   0.2,   0.5,   1.0,  2.0,  5.0};

class ApplyLatencyFollower {
 public:
  ApplyLatencyFollower(prometheus::Registry& registry, const std::vector<std::string>& instances);

  // Polls every instance's telemetry block until `stop` is requested, calling
  // `on_cycle` once per poll (the exporter pings the systemd watchdog there).
  template <typename OnCycle>
  void run(std::stop_token stop, OnCycle on_cycle) {
    while (!stop.stop_requested()) {
      poll_once();
      on_cycle();
      std::this_thread::sleep_for(kPoll);
    }
  }

  // Reads each telemetry block once and observes newly confirmed decisions.
  void poll_once();

  // How often the blocks are read; NOTE: decisions confirmed between two
  // telemetry publishes are seen only through the later one, because the
  // block carries the latency of the latest confirmed decision only.
  static constexpr std::chrono::milliseconds kPoll{50};

 private:
  struct Watch {
    std::string name;                       // the telemetry object
    prometheus::Histogram* histogram = nullptr;
    std::optional<BlockReader<LinkTelemetry>> reader;
    std::optional<std::uint64_t> last_decision_id;  // unset until a first reading gave a reference
  };

  void poll(Watch& watch);

  std::vector<Watch> watches_;
};

}  // namespace wanctl

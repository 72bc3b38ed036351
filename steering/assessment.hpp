// GREEN / YELLOW / RED for one WAN from several signals together.
//
// RED needs the smoothed delay delta at or above red_delay_ms together with a
// second, independent sign that the link is full: CAKE dropping at least
// red_drop_rate_per_s, or a standing queue (CAKE's average sojourn delay at
// or above red_queue_delay_ms, or, for shapers that report no delay, a
// backlog of red_backlog_kbytes). One noisy reflector raises the delay but
// not the drops or the queue, so on its own it reaches YELLOW at most.
// Drops or a queue without delay mean the shaper is doing its job: GREEN.
//
// A WAN whose status or telemetry is missing or stale is STALE, and one
// whose estimator reports STALL (no replies at all) is STALLED; neither is
// ever a steering target, and neither counts as RED.
#pragma once

#include <string>

#include "records.hpp"
#include "steering_config.hpp"
#include "wan_signals.hpp"

namespace wanctl {

struct Assessment {
  WanHealth health = WanHealth::unknown;
  std::string reason;  // the signal values behind `health`, e.g. "delay 65.0 ms, 3.2 drops/s"
};

Assessment assess(const WanSignals& signals, const SteeringThresholds& thresholds,
                  std::int64_t stale_after_ns);

}  // namespace wanctl

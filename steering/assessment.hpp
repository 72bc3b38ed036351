// GREEN / YELLOW / RED for one WAN from several signals together.
//
// RED needs the smoothed delay delta at or above red_delay_ms together with a
// second, independent sign:
//   - most reflectors agree: at least red_reflector_share of the reflectors
//     with a baseline, and at least two, have an RTT delta at or above
//     red_delay_ms. A delay rise upstream of the shaper (congestion in the
//     ISP's network, a longer path) shows this way while the local queue
//     stays empty, and it is the case shaping cannot fix;
//   - CAKE drops at least red_drop_rate_per_s;
//   - a standing queue: CAKE's average sojourn delay at or above
//     red_queue_delay_ms or, for shapers that report no delay, a backlog of
//     red_backlog_kbytes.
// One misbehaving reflector raises the delay but none of these, so on its
// own it reaches YELLOW at most. Drops or a queue without delay mean the
// shaper is doing its job: GREEN.
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
  std::string reason;  // the signal values behind `health`, e.g. "delay 65.0 ms, 3/4 reflectors, 3.2 drops/s"
  int reflectors_delayed = 0;  // reflectors whose RTT delta reaches red_delay_ms
};

Assessment assess(const WanSignals& signals, const SteeringThresholds& thresholds,
                  std::int64_t stale_after_ns);

}  // namespace wanctl

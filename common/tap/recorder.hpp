// wanctl-tap --record DIR: follows an instance's samples and decisions rings
// and its telemetry, status and prober blocks read-only, and writes them to
// CSV files in DIR for scripts/plot and for offline analysis.
//
// samples.csv, decisions.csv and telemetry.csv contain the records' fields,
// the tap's CSV columns. status.csv and prober.csv contain the blocks without
// their per-reflector fields. Those go to baselines.csv and reflectors.csv
// with one row per reflector, so every file keeps one header however many
// reflectors there are. recording.txt names the instance and the start time.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "tap_options.hpp"

namespace wanctl {

// Runs until SIGINT or SIGTERM, or until options.duration has passed.
// Returns the process exit status.
int record_instance(const TapOptions& options);

}  // namespace wanctl

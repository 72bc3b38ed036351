// Replay of a recorded trace through the estimator core: samples (and
// optionally telemetry) from CSV files in the tap's format in, decisions as
// CSV out.
//
// Records are fed in time order: a reply at its receive time, a timeout at
// its send time, telemetry at its reading time, and telemetry first on a tie.
// A sample that fails validation goes in at once, so that its times reorder
// nothing. The output depends on the input files alone: the same files give
// byte-identical decisions.
#pragma once

#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "estimator.hpp"
#include "estimator_config.hpp"

namespace wanctl::estimator {

struct ReplayOptions {
  std::string samples_path;
  std::string telemetry_path;      // empty: no telemetry, delay alone
  std::string restore_state_path;  // empty: start fresh
  std::string save_state_path;     // empty: no state file at the end
};

struct ReplayReport {
  std::uint64_t sample_rows = 0;
  std::uint64_t telemetry_rows = 0;
  std::uint64_t bad_sample_rows = 0;      // unparsable rows, also counted as rejected samples
  std::uint64_t bad_telemetry_rows = 0;   // unparsable rows, also counted as rejected telemetry
  std::uint64_t decisions = 0;
  bool restored = false;                  // state taken from restore_state_path
  bool baselines_restored = false;
  std::vector<std::string> row_errors;    // "file:line: problem", the first kMaxRowErrors
  EstimatorCounters counters;
  EstimatorStatus final_status{};
};

// Unparsable rows listed in a report; more are only counted.
inline constexpr std::size_t kMaxRowErrors = 20;

// A trace that cannot be replayed at all: a missing file, a missing column.
class ReplayError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Boot id written into state files saved by a replay; their times belong to
// the trace's clock, not to any boot.
inline constexpr const char* kReplayBootId = "replay";

ReplayReport run_replay(const EstimatorConfig& config, int reflector_count, const ReplayOptions& options,
                        std::ostream& decisions);

}  // namespace wanctl::estimator

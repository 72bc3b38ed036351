// The estimator's state on disk, so that baselines, states and rates also
// survive a reboot, when the shared-memory status block is gone.
//
// The file holds one EstimatorStatus with the times it was saved and the
// boot it was saved in, behind a magic number, the layout version and a
// checksum. It is replaced atomically: written to a temporary file in the
// same directory, flushed with fsync, renamed over the old file, and the
// directory is synced, so a crash leaves either the old or the new file.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "records.hpp"

namespace wanctl::estimator {

struct SavedState {
  EstimatorStatus status{};
  std::int64_t saved_mono_ns = 0;      // CLOCK_MONOTONIC at saving; comparable within one boot only
  std::int64_t saved_realtime_ns = 0;  // CLOCK_REALTIME at saving, for the age after a reboot
  std::string boot_id;                 // /proc/sys/kernel/random/boot_id at saving
};

class StateFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Writes the state atomically; throws StateFileError naming the path and the
// failed step.
void save_state_file(const std::string& path, const SavedState& state);

// Reads the state. Returns nothing when the file does not exist; throws
// StateFileError when it cannot be read or is not a valid state file.
std::optional<SavedState> load_state_file(const std::string& path);

// The running kernel's boot id, or an empty string when it cannot be read.
std::string current_boot_id();

// Age of a saved state in seconds: from CLOCK_MONOTONIC within the same boot,
// from CLOCK_REALTIME after a reboot. Nothing when the age cannot be known
// (no boot id, or a wall clock that puts the save in the future).
std::optional<double> saved_state_age_s(const SavedState& state, std::int64_t now_mono_ns,
                                        std::int64_t now_realtime_ns, const std::string& boot_id);

}  // namespace wanctl::estimator

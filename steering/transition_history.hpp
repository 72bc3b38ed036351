// The last kSteeringHistory steering transitions and the last confirmed
// decision, kept in a JSON file so that they survive restarts.
//
// The file is replaced atomically on every transition (transitions are rare:
// hysteresis keeps them seconds to minutes apart), never on a timer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "records.hpp"

namespace wanctl {

class TransitionHistory {
 public:
  explicit TransitionHistory(std::string path) : path_(std::move(path)) {}

  // Loads the file. A missing file is a first start and returns an empty
  // string. A file that cannot be read or parsed returns the problem, and
  // the history starts empty; the file is then overwritten at the next
  // transition.
  std::string load();

  // Appends a transition, dropping the oldest beyond kSteeringHistory.
  void add(const SteeringTransition& transition);

  // Replaces the file; throws std::system_error naming the file.
  void save() const;

  // The decision of the newest transition, if any.
  std::optional<bool> last_steered() const;

  // Copies the transitions and counters into a status record.
  void fill(SteeringStatus& status) const;

  const std::deque<SteeringTransition>& transitions() const { return transitions_; }
  std::uint64_t total() const { return total_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::deque<SteeringTransition> transitions_;  // oldest first
  std::uint64_t total_ = 0;                     // transitions since the file was created
};

// Builds a transition record; the reason is cut to fit kSteeringReasonChars.
SteeringTransition make_transition(std::int64_t time_unix_ms, bool steered, WanHealth primary, WanHealth alternate,
                                   const std::string& reason);

// Copies text into a fixed-size record field, cut to fit and NUL-terminated.
template <std::size_t N>
void copy_text(char (&field)[N], const std::string& text) {
  std::size_t length = std::min(text.size(), N - 1);
  text.copy(field, length);
  field[length] = '\0';
}

}  // namespace wanctl

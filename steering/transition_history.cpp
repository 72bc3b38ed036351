#include "transition_history.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "atomic_file.hpp"
#include "record_fields.hpp"

namespace wanctl {
namespace {

// Bumped when the file's fields change meaning.
constexpr int kHistoryFormat = 1;

WanHealth parse_health(const std::string& text) {
  for (WanHealth health : {WanHealth::green, WanHealth::yellow, WanHealth::red, WanHealth::stale,
                           WanHealth::stalled}) {
    if (text == to_string(health)) {
      return health;
    }
  }
  return WanHealth::unknown;
}

}  // namespace

SteeringTransition make_transition(std::int64_t time_unix_ms, bool steered, WanHealth primary, WanHealth alternate,
                                   const std::string& reason) {
  SteeringTransition transition{};
  transition.time_unix_ms = time_unix_ms;
  transition.steered = steered ? 1 : 0;
  transition.primary_health = primary;
  transition.alternate_health = alternate;
  copy_text(transition.reason, reason);
  return transition;
}

std::string TransitionHistory::load() {
  transitions_.clear();
  total_ = 0;

  std::ifstream file(path_);
  if (!file) {
    if (errno == ENOENT) {
      return {};
    }
    return "cannot read " + path_ + ": " + std::strerror(errno);
  }
  std::stringstream text;
  text << file.rdbuf();

  try {
    nlohmann::json json = nlohmann::json::parse(text.str());
    if (json.at("format").get<int>() != kHistoryFormat) {
      return path_ + " has format " + json.at("format").dump() + ", expected " + std::to_string(kHistoryFormat);
    }
    std::uint64_t total = json.at("transitions_total").get<std::uint64_t>();
    std::deque<SteeringTransition> transitions;
    for (const nlohmann::json& entry : json.at("transitions")) {
      transitions.push_back(make_transition(entry.at("time_unix_ms").get<std::int64_t>(),
                                            entry.at("steered").get<bool>(),
                                            parse_health(entry.at("primary_health").get<std::string>()),
                                            parse_health(entry.at("alternate_health").get<std::string>()),
                                            entry.at("reason").get<std::string>()));
    }
    while (transitions.size() > static_cast<std::size_t>(kSteeringHistory)) {
      transitions.pop_front();
    }
    transitions_ = std::move(transitions);
    total_ = std::max<std::uint64_t>(total, transitions_.size());
  } catch (const nlohmann::json::exception& error) {
    return path_ + " is not a valid steering history: " + error.what();
  }
  return {};
}

void TransitionHistory::add(const SteeringTransition& transition) {
  transitions_.push_back(transition);
  if (transitions_.size() > static_cast<std::size_t>(kSteeringHistory)) {
    transitions_.pop_front();
  }
  ++total_;
}

void TransitionHistory::save() const {
  nlohmann::json entries = nlohmann::json::array();
  for (const SteeringTransition& transition : transitions_) {
    entries.push_back({
        {"time_unix_ms", transition.time_unix_ms},
        {"steered", transition.steered != 0},
        {"primary_health", std::string(to_string(transition.primary_health))},
        {"alternate_health", std::string(to_string(transition.alternate_health))},
        {"reason", std::string(transition.reason, ::strnlen(transition.reason, sizeof(transition.reason)))},
    });
  }
  nlohmann::json json = {
      {"format", kHistoryFormat},
      {"steered", last_steered().value_or(false)},
      {"transitions_total", total_},
      {"transitions", entries},
  };
  write_file_atomically(path_, json.dump(2) + "\n");
}

std::optional<bool> TransitionHistory::last_steered() const {
  if (transitions_.empty()) {
    return std::nullopt;
  }
  return transitions_.back().steered != 0;
}

void TransitionHistory::fill(SteeringStatus& status) const {
  status.transitions_total = total_;
  status.transition_count = static_cast<std::uint32_t>(transitions_.size());
  for (std::size_t i = 0; i < transitions_.size(); ++i) {
    status.transitions[i] = transitions_[i];
  }
}

}  // namespace wanctl

#include "reflector_set.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace wanctl::prober {

ReflectorSet::ReflectorSet(const ProberConfig& config)
    : configured_method_(config.method),
      window_probes_(static_cast<std::size_t>(config.replacement_window_probes)),
      replacement_misses_(static_cast<std::uint32_t>(config.replacement_timeouts)),
      fallback_failures_(static_cast<std::uint32_t>(config.timestamp_fallback_probes)),
      evidence_window_ns_(0),
      history_ns_(0) {
  reflectors_.resize(config.reflectors.size());
  for (std::size_t id = 0; id < config.reflectors.size(); ++id) {
    reflectors_[id].address = config.reflectors[id];
  }

  std::size_t active = std::min<std::size_t>(static_cast<std::size_t>(config.active_reflectors), reflectors_.size());
  for (std::size_t id = 0; id < reflectors_.size(); ++id) {
    if (id < active) {
      positions_.push_back(static_cast<std::uint16_t>(id));
      activate(static_cast<std::uint16_t>(id));
    } else {
      spares_.push_back(static_cast<std::uint16_t>(id));
    }
  }

  // Every other active reflector is probed once within this time on each
  // side of a probe.
  evidence_window_ns_ = static_cast<std::int64_t>((static_cast<double>(positions_.size()) + 0.5) * 1e9 /
                                                  config.probe_rate_hz);
  history_ns_ = std::int64_t{config.timeout_ms} * 1'000'000 + 2 * evidence_window_ns_;
}

std::optional<std::uint16_t> ReflectorSet::find(const IpAddress& address) const {
  for (std::size_t id = 0; id < reflectors_.size(); ++id) {
    if (reflectors_[id].address == address) {
      return static_cast<std::uint16_t>(id);
    }
  }
  return std::nullopt;
}

void ReflectorSet::activate(std::uint16_t id) {
  Reflector& reflector = reflectors_[id];
  std::uint32_t activation = reflector.activation + 1;
  IpAddress address = reflector.address;

  reflector = Reflector{};
  reflector.address = address;
  reflector.activation = activation;
  reflector.active = true;
  bool timestamp_possible = address.family == AF_INET && !echo_only_;
  reflector.method = timestamp_possible ? configured_method_ : ProbeMethod::echo;
}

void ReflectorSet::use_echo_only() {
  echo_only_ = true;
  for (Reflector& reflector : reflectors_) {
    reflector.method = ProbeMethod::echo;
  }
}

void ReflectorSet::on_sent(std::uint16_t id) { ++reflectors_[id].probes_sent; }

bool ReflectorSet::others_replied_between(std::uint16_t id, std::int64_t from_ns, std::int64_t to_ns) const {
  for (std::size_t other = 0; other < reflectors_.size(); ++other) {
    if (other == id) {
      continue;
    }
    for (std::int64_t send_ns : reflectors_[other].replied_send_ns) {
      if (send_ns > from_ns && send_ns < to_ns) {
        return true;
      }
    }
  }
  return false;
}

bool ReflectorSet::link_worked_around(std::uint16_t id, std::int64_t send_mono_ns) const {
  return others_replied_between(id, send_mono_ns - evidence_window_ns_, send_mono_ns) &&
         others_replied_between(id, send_mono_ns, send_mono_ns + evidence_window_ns_);
}

void ReflectorSet::remember_reply(Reflector& reflector, std::int64_t send_mono_ns) {
  reflector.replied_send_ns.push_back(send_mono_ns);
  while (reflector.replied_send_ns.front() < send_mono_ns - history_ns_) {
    reflector.replied_send_ns.pop_front();
  }
}

void ReflectorSet::push_window(Reflector& reflector, const WindowEntry& entry) {
  reflector.window.push_back(entry);
  if (entry.held_against) {
    ++reflector.misses_held;
  }
  while (reflector.window.size() > window_probes_) {
    if (reflector.window.front().held_against) {
      --reflector.misses_held;
    }
    reflector.window.pop_front();
  }
}

std::vector<ReflectorEvent> ReflectorSet::on_outcome(std::uint16_t id, std::uint32_t activation,
                                                     std::int64_t send_mono_ns, Outcome outcome, ProbeMethod method,
                                                     std::int64_t rtt_ns) {
  std::vector<ReflectorEvent> events;
  Reflector& reflector = reflectors_[id];
  if (!reflector.active || reflector.activation != activation) {
    return events;
  }

  // A probe of a method the reflector no longer gets (timestamp requests
  // in flight when it fell back to echo) is not held against it.
  bool replied = outcome == Outcome::reply || outcome == Outcome::bad_timestamp;
  bool held_against = !replied && method == reflector.method && link_worked_around(id, send_mono_ns);
  if (replied) {
    ++reflector.replies;
    remember_reply(reflector, send_mono_ns);
  }
  std::int32_t rtt_us = replied ? static_cast<std::int32_t>(std::min<std::int64_t>(rtt_ns / 1000, INT32_MAX)) : 0;
  push_window(reflector, WindowEntry{outcome, held_against, rtt_us});

  if (method == ProbeMethod::timestamp && reflector.method == ProbeMethod::timestamp) {
    if (auto event = check_fallback(id, outcome, held_against)) {
      events.push_back(*event);
      return events;
    }
  }
  if (held_against) {
    if (auto event = check_replacement(id)) {
      events.push_back(*event);
    }
  }
  return events;
}

std::optional<ReflectorEvent> ReflectorSet::check_fallback(std::uint16_t id, Outcome outcome, bool held_against) {
  Reflector& reflector = reflectors_[id];
  if (outcome == Outcome::reply) {
    reflector.timestamp_failures = 0;
    return std::nullopt;
  }
  if (outcome == Outcome::bad_timestamp || held_against) {
    ++reflector.timestamp_failures;
  }
  if (reflector.timestamp_failures < fallback_failures_) {
    return std::nullopt;
  }

  // Timeouts of timestamp requests mean that the reflector or its network
  // filters them, not that it is gone, so echo starts with a clean window.
  ReflectorEvent event{ReflectorEvent::Kind::fell_back_to_echo, id, id, reflector.misses_held,
                       outcome == Outcome::bad_timestamp};
  reflector.method = ProbeMethod::echo;
  reflector.timestamp_failures = 0;
  reflector.window.clear();
  reflector.misses_held = 0;
  return event;
}

std::optional<ReflectorEvent> ReflectorSet::check_replacement(std::uint16_t id) {
  Reflector& reflector = reflectors_[id];
  if (reflector.misses_held < replacement_misses_) {
    return std::nullopt;
  }
  if (spares_.empty()) {
    return ReflectorEvent{ReflectorEvent::Kind::no_spare, id, id, reflector.misses_held, false};
  }

  std::uint16_t replacement = spares_.front();
  spares_.pop_front();
  spares_.push_back(id);
  std::replace(positions_.begin(), positions_.end(), id, replacement);

  ReflectorEvent event{ReflectorEvent::Kind::replaced, id, replacement, reflector.misses_held, false};
  reflector.active = false;
  activate(replacement);
  return event;
}

void ReflectorSet::fill_status(ProberStatus& status) const {
  status.reflector_count = static_cast<std::uint32_t>(std::min<std::size_t>(reflectors_.size(), kMaxReflectors));
  std::vector<std::int32_t> rtts;
  for (std::size_t id = 0; id < status.reflector_count; ++id) {
    const Reflector& reflector = reflectors_[id];
    ReflectorHealth& health = status.reflectors[id];
    health = ReflectorHealth{};
    std::memcpy(health.address, reflector.address.bytes.data(), sizeof(health.address));
    health.address_family = reflector.address.family;
    health.active = reflector.active ? 1 : 0;
    health.method = reflector.method;
    health.probes_sent = reflector.probes_sent;
    health.replies = reflector.replies;
    health.recent_timeouts = reflector.misses_held;

    rtts.clear();
    std::uint32_t lost = 0;
    for (const WindowEntry& entry : reflector.window) {
      if (entry.outcome == Outcome::reply || entry.outcome == Outcome::bad_timestamp) {
        rtts.push_back(entry.rtt_us);
      } else {
        ++lost;
      }
    }
    health.loss_permille =
        reflector.window.empty() ? 0 : static_cast<std::uint32_t>(lost * 1000 / reflector.window.size());
    health.median_rtt_us = -1;
    if (!rtts.empty()) {
      auto middle = rtts.begin() + static_cast<std::ptrdiff_t>(rtts.size() / 2);
      std::nth_element(rtts.begin(), middle, rtts.end());
      health.median_rtt_us = *middle;
    }
  }
}

}  // namespace wanctl::prober

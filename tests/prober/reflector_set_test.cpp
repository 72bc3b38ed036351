// Reflector health: replacement by spares, link-wide silence, clean
// statistics on activation, fallback from timestamp to echo.
#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <string>

#include "reflector_set.hpp"

using namespace wanctl;
using namespace wanctl::prober;

namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSlotMs = 50;      // 20 probes/s
constexpr std::int64_t kTimeoutMs = 500;  // a timeout is judged this long after the send

IpAddress address(const char* text) {
  std::string error;
  auto parsed = parse_reflector_address(text, error);
  REQUIRE_MESSAGE(parsed.has_value(), error);
  return *parsed;
}

ProberConfig reflectors_config(int count, int active, ProbeMethod method) {
  ProberConfig config;
  for (int i = 0; i < count; ++i) {
    config.reflectors.push_back(address(("203.0.113." + std::to_string(10 + i)).c_str()));
  }
  config.active_reflectors = active;
  config.method = method;
  config.probe_rate_hz = 1000.0 / kSlotMs;
  config.timeout_ms = static_cast<int>(kTimeoutMs);
  return config;
}

// Decides how a probe to reflector `id` sent at `send_ms` ends.
using Behaviour = std::function<Outcome(std::uint16_t id, std::int64_t send_ms)>;

struct Resolution {
  std::int64_t at_ms;
  std::uint16_t id;
  std::uint32_t activation;
  std::int64_t send_ms;
  Outcome outcome;
  ProbeMethod method;
};

// Drives the set like the prober does: one probe per slot to the reflector
// whose turn it is. Replies resolve 1 ms after the send, timeouts and
// errors only at the deadline, in time order.
class Simulation {
 public:
  explicit Simulation(ReflectorSet& set) : set_(set) {}

  std::vector<ReflectorEvent> run(std::int64_t duration_ms, const Behaviour& behaviour) {
    std::vector<ReflectorEvent> events;
    std::int64_t end_ms = now_ms_ + duration_ms;
    for (; now_ms_ < end_ms; now_ms_ += kSlotMs) {
      resolve_until(now_ms_, events);
      std::uint16_t id = set_.reflector_for_slot(slot_++);
      set_.on_sent(id);
      Outcome outcome = behaviour(id, now_ms_);
      bool answered = outcome == Outcome::reply || outcome == Outcome::bad_timestamp;
      pending_.push_back(Resolution{now_ms_ + (answered ? 1 : kTimeoutMs), id, set_.activation(id), now_ms_, outcome,
                                    set_.method(id)});
    }
    return events;
  }

  // Resolves everything still pending.
  std::vector<ReflectorEvent> drain() {
    std::vector<ReflectorEvent> events;
    resolve_until(now_ms_ + kTimeoutMs, events);
    now_ms_ += kTimeoutMs;
    return events;
  }

  std::int64_t now_ms() const { return now_ms_; }

 private:
  void resolve_until(std::int64_t time_ms, std::vector<ReflectorEvent>& events) {
    std::stable_sort(pending_.begin(), pending_.end(),
                     [](const Resolution& a, const Resolution& b) { return a.at_ms < b.at_ms; });
    while (!pending_.empty() && pending_.front().at_ms <= time_ms) {
      Resolution next = pending_.front();
      pending_.erase(pending_.begin());
      auto happened = set_.on_outcome(next.id, next.activation, next.send_ms * kMs, next.outcome, next.method,
                                      next.outcome == Outcome::reply ? 900'000 : 0);
      events.insert(events.end(), happened.begin(), happened.end());
    }
  }

  ReflectorSet& set_;
  std::int64_t now_ms_ = 1000;
  std::uint64_t slot_ = 0;
  std::vector<Resolution> pending_;
};

Behaviour all_answer() {
  return [](std::uint16_t, std::int64_t) { return Outcome::reply; };
}

Behaviour silent(std::uint16_t dead) {
  return [dead](std::uint16_t id, std::int64_t) { return id == dead ? Outcome::timeout : Outcome::reply; };
}

ProberStatus status_of(const ReflectorSet& set) {
  ProberStatus status{};
  set.fill_status(status);
  return status;
}

std::size_t count_kind(const std::vector<ReflectorEvent>& events, ReflectorEvent::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [kind](const ReflectorEvent& e) { return e.kind == kind; }));
}

}  // namespace

TEST_CASE("reflector rotation staggers active reflectors") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::echo));
  CHECK(set.active_count() == 3);
  CHECK(set.reflector_for_slot(0) == 0);
  CHECK(set.reflector_for_slot(1) == 1);
  CHECK(set.reflector_for_slot(2) == 2);
  CHECK(set.reflector_for_slot(3) == 0);
  CHECK_FALSE(set.is_active(3));
}

TEST_CASE("silent reflector is replaced after three held timeouts") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());

  // Reflector 1 goes silent; its third timeout replaces it.
  auto events = simulation.run(2000, silent(1));
  auto more = simulation.drain();
  events.insert(events.end(), more.begin(), more.end());
  REQUIRE(count_kind(events, ReflectorEvent::Kind::replaced) == 1);
  const ReflectorEvent& replaced = events.front();
  CHECK(replaced.kind == ReflectorEvent::Kind::replaced);
  CHECK(replaced.reflector == 1);
  CHECK(replaced.replacement == 3);
  CHECK(replaced.misses == 3);

  CHECK_FALSE(set.is_active(1));
  CHECK(set.is_active(3));
  CHECK(set.reflector_for_slot(1) == 3);  // takes over the replaced one's turn
}

TEST_CASE("replacement starts with clean statistics") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  for (int slot = 0; slot < 100 && !set.is_active(3); ++slot) {
    simulation.run(kSlotMs, silent(1));
  }
  REQUIRE(set.is_active(3));

  // Right after activation nothing carries over to reflector 3.
  ProberStatus status = status_of(set);
  CHECK(status.reflectors[1].active == 0);
  CHECK(status.reflectors[3].active == 1);
  CHECK(status.reflectors[3].probes_sent == 0);
  CHECK(status.reflectors[3].replies == 0);
  CHECK(status.reflectors[3].recent_timeouts == 0);
  CHECK(status.reflectors[3].loss_permille == 0);
  CHECK(status.reflectors[3].median_rtt_us == -1);
}

TEST_CASE("replaced reflector goes to the end of the spares") {
  ReflectorSet set(reflectors_config(5, 3, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  simulation.run(2000, silent(1));
  REQUIRE(set.is_active(3));
  REQUIRE_FALSE(set.is_active(1));

  // Reflector 3 fails next: the next spare is 4, not the earlier failure 1.
  simulation.run(2000, silent(3));
  CHECK(set.is_active(4));
  CHECK_FALSE(set.is_active(3));
  CHECK_FALSE(set.is_active(1));
}

TEST_CASE("link-wide silence punishes no reflector") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());

  // Two seconds without any reply, then the link comes back.
  std::int64_t outage_end_ms = simulation.now_ms() + 2000;
  auto events = simulation.run(2000, [](std::uint16_t, std::int64_t) { return Outcome::timeout; });
  auto after = simulation.run(2000, all_answer());
  events.insert(events.end(), after.begin(), after.end());
  CHECK(events.empty());

  ProberStatus status = status_of(set);
  for (int id = 0; id < 3; ++id) {
    CAPTURE(id);
    CHECK(status.reflectors[id].active == 1);
    CHECK(status.reflectors[id].recent_timeouts == 0);
    CHECK(status.reflectors[id].loss_permille > 0);
  }
  CHECK(status.reflectors[3].active == 0);
  CHECK(outage_end_ms > 0);
}

TEST_CASE("one-second silence with bursty recovery punishes no reflector") {
  // Replies stop at once for exactly one second; probes in flight at both
  // edges see the link on one side only.
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  std::int64_t start_ms = simulation.now_ms();
  auto events = simulation.run(3000, [start_ms](std::uint16_t, std::int64_t send_ms) {
    bool dark = send_ms >= start_ms + 500 && send_ms < start_ms + 1500;
    return dark ? Outcome::timeout : Outcome::reply;
  });
  auto rest = simulation.drain();
  events.insert(events.end(), rest.begin(), rest.end());
  CHECK(events.empty());
  CHECK(status_of(set).replacements == 0);
}

TEST_CASE("reflector activated again starts clean") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  std::uint32_t first_activation = set.activation(1);
  simulation.run(2000, silent(1));
  REQUIRE_FALSE(set.is_active(1));

  // A reply to a probe from the old activation changes nothing.
  std::uint32_t replies = status_of(set).reflectors[1].replies;
  set.on_outcome(1, first_activation, simulation.now_ms() * kMs, Outcome::reply, ProbeMethod::echo, 500'000);
  CHECK(status_of(set).reflectors[1].replies == replies);

  // Reflector 3 fails next, so reflector 1 comes back, clean.
  simulation.run(2000, silent(3));
  REQUIRE(set.is_active(1));
  CHECK(set.activation(1) == first_activation + 1);
  simulation.drain();
  ProberStatus status = status_of(set);
  CHECK(status.reflectors[1].recent_timeouts == 0);
}

TEST_CASE("new reflector needs misses of its own") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  simulation.run(1500, silent(1));
  REQUIRE(set.is_active(3));

  // Two misses of its own are not enough to replace it.
  int misses = 0;
  simulation.run(1000, [&misses](std::uint16_t id, std::int64_t) {
    if (id == 3 && misses < 2) {
      ++misses;
      return Outcome::timeout;
    }
    return Outcome::reply;
  });
  simulation.drain();
  ProberStatus status = status_of(set);
  CHECK(status.reflectors[3].active == 1);
  CHECK(status.reflectors[3].recent_timeouts == 2);
}

TEST_CASE("bad timestamps switch a reflector to echo") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::timestamp));
  Simulation simulation(set);
  CHECK(set.method(0) == ProbeMethod::timestamp);

  // Good, bad, good resets; then three bad in a row.
  int probes_to_0 = 0;
  auto events = simulation.run(1500, [&probes_to_0](std::uint16_t id, std::int64_t) {
    if (id != 0) {
      return Outcome::reply;
    }
    ++probes_to_0;
    return probes_to_0 == 2 || probes_to_0 >= 4 ? Outcome::bad_timestamp : Outcome::reply;
  });
  REQUIRE(count_kind(events, ReflectorEvent::Kind::fell_back_to_echo) == 1);
  CHECK(events.front().reflector == 0);
  CHECK(events.front().because_bad_timestamps);
  CHECK(set.method(0) == ProbeMethod::echo);
  CHECK(set.is_active(0));
  CHECK(set.method(1) == ProbeMethod::timestamp);
}

TEST_CASE("missing timestamp replies fall back before replacement") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::timestamp));
  Simulation simulation(set);
  simulation.run(1000, all_answer());

  // Reflector 2 drops timestamp requests but replies to echo.
  Behaviour filters_timestamps = [&set](std::uint16_t id, std::int64_t) {
    return id == 2 && set.method(2) == ProbeMethod::timestamp ? Outcome::timeout : Outcome::reply;
  };
  auto events = simulation.run(3000, filters_timestamps);
  auto rest = simulation.drain();
  events.insert(events.end(), rest.begin(), rest.end());
  REQUIRE(count_kind(events, ReflectorEvent::Kind::fell_back_to_echo) == 1);
  CHECK_FALSE(events.front().because_bad_timestamps);
  CHECK(count_kind(events, ReflectorEvent::Kind::replaced) == 0);
  CHECK(set.is_active(2));
  CHECK(set.method(2) == ProbeMethod::echo);
  // Timestamp probes that timed out after the switch are not held against it.
  CHECK(status_of(set).reflectors[2].recent_timeouts == 0);

  // Silent to echo as well: now it is replaced.
  simulation.run(2000, silent(2));
  CHECK_FALSE(set.is_active(2));
}

TEST_CASE("timestamp timeouts in a link-wide silence cause no fallback") {
  ReflectorSet set(reflectors_config(4, 3, ProbeMethod::timestamp));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  simulation.run(2000, [](std::uint16_t, std::int64_t) { return Outcome::timeout; });
  simulation.run(1000, all_answer());
  CHECK(set.method(0) == ProbeMethod::timestamp);
  CHECK(set.method(1) == ProbeMethod::timestamp);
  CHECK(set.method(2) == ProbeMethod::timestamp);
}

TEST_CASE("reflector without spare is reported") {
  ReflectorSet set(reflectors_config(4, 4, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  auto events = simulation.run(2000, silent(0));
  REQUIRE(count_kind(events, ReflectorEvent::Kind::no_spare) >= 1);
  CHECK(events.front().reflector == 0);
  CHECK(set.is_active(0));
}

TEST_CASE("single active reflector is never replaced") {
  ReflectorSet set(reflectors_config(2, 1, ProbeMethod::echo));
  Simulation simulation(set);
  simulation.run(1000, all_answer());
  auto events = simulation.run(3000, silent(0));
  CHECK(events.empty());
  CHECK(set.is_active(0));
}

TEST_CASE("IPv6 reflector uses echo") {
  ProberConfig config = reflectors_config(1, 1, ProbeMethod::timestamp);
  config.reflectors.push_back(address("2001:db8::10"));
  config.active_reflectors = 2;
  ReflectorSet set(config);
  CHECK(set.method(0) == ProbeMethod::timestamp);
  CHECK(set.method(1) == ProbeMethod::echo);
  set.use_echo_only();
  CHECK(set.method(0) == ProbeMethod::echo);
}

TEST_CASE("reflector median RTT and loss over the window") {
  ProberConfig config = reflectors_config(4, 3, ProbeMethod::echo);
  config.replacement_window_probes = 10;
  ReflectorSet set(config);
  auto feed = [&set](std::int64_t send_ms, Outcome outcome, std::int64_t rtt_us) {
    set.on_sent(0);
    set.on_outcome(0, set.activation(0), send_ms * kMs, outcome, ProbeMethod::echo, rtt_us * 1000);
  };
  for (int i = 0; i < 20; ++i) {
    feed(i * 150, Outcome::reply, 100'000);  // these leave the window
  }
  for (int i = 0; i < 8; ++i) {
    feed(3'000 + i * 150, Outcome::reply, 1000 + i);
  }
  feed(5'000, Outcome::timeout, 0);
  feed(5'150, Outcome::timeout, 0);
  ProberStatus status = status_of(set);
  CHECK(status.reflectors[0].median_rtt_us == 1004);
  CHECK(status.reflectors[0].loss_permille == 200);
  CHECK(status.reflectors[0].probes_sent == 30);
  CHECK(status.reflectors[0].replies == 28);
  CHECK(status.reflector_count == 4);
}

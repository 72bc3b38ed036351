// Control-law scenarios through the replay path: synthetic traces written as
// CSV, replayed by the estimator core, decisions read back from CSV.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "replay_helpers.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

constexpr int kDown = 0;
constexpr int kUp = 1;
constexpr std::uint64_t kBaseDownBps = 100'000'000;
constexpr std::uint64_t kBaseUpBps = 20'000'000;

std::vector<ReflectorSpec> timestamp_reflectors() {
  return {{20.0, true, 1234.0}, {25.0, true, -870.0}, {30.0, true, 15.0}};
}

double seconds_since_start(const TraceSpec& spec, std::int64_t time_ns) {
  return static_cast<double>(time_ns - spec.start_ns) / 1e9;
}

// The first decision whose rate in `direction` is below the one before it.
std::optional<DecisionRow> first_cut(const std::vector<DecisionRow>& decisions, int direction) {
  for (std::size_t i = 1; i < decisions.size(); ++i) {
    if (decisions[i].directions[direction].rate_bps < decisions[i - 1].directions[direction].rate_bps) {
      return decisions[i];
    }
  }
  return std::nullopt;
}

std::uint64_t min_rate(const std::vector<DecisionRow>& decisions, int direction) {
  std::uint64_t lowest = UINT64_MAX;
  for (const DecisionRow& row : decisions) {
    lowest = std::min(lowest, row.directions[direction].rate_bps);
  }
  return lowest;
}

std::uint64_t max_rate(const std::vector<DecisionRow>& decisions, int direction) {
  std::uint64_t highest = 0;
  for (const DecisionRow& row : decisions) {
    highest = std::max(highest, row.directions[direction].rate_bps);
  }
  return highest;
}

bool any_state(const std::vector<DecisionRow>& decisions, int direction, const std::string& state) {
  return std::any_of(decisions.begin(), decisions.end(),
                     [&](const DecisionRow& row) { return row.directions[direction].state == state; });
}

int bloat_decisions(const std::vector<DecisionRow>& decisions, int direction) {
  return static_cast<int>(std::count_if(decisions.begin(), decisions.end(), [&](const DecisionRow& row) {
    return row.directions[direction].bufferbloat != 0;
  }));
}

// Checks that every decision shows an uncongested direction at base rate.
void check_quiet(const std::vector<DecisionRow>& decisions, int direction, std::uint64_t base_bps) {
  for (const DecisionRow& row : decisions) {
    const DirectionRow& d = row.directions[direction];
    INFO("decision " << row.decision_id << " state " << d.state << " rate " << d.rate_bps);
    CHECK(d.rate_bps == base_bps);
    CHECK((d.state == "GREEN" || d.state == "IDLE"));
    CHECK(d.bufferbloat == 0);
  }
}

}  // namespace

TEST_CASE("idle noisy line keeps base rate for 10 minutes") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = {{20.0}, {25.0}, {30.0}, {40.0, true, 2500.0}};
  spec.duration_s = 600.0;
  spec.jitter_ms = 3.0;
  // Every 97th probe is a lone 45 ms spike on one reflector.
  spec.queue = [](double t_s, int) {
    auto probe = static_cast<long>(std::llround(t_s * 20.0));
    return probe % 97 == 0 ? QueueDelay{22.5, 22.5} : QueueDelay{};
  };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{1.0, 0.2}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir, {}, 4);

  REQUIRE(run.decisions.size() > 600);
  check_quiet(run.decisions, kDown, kBaseDownBps);
  check_quiet(run.decisions, kUp, kBaseUpBps);
  CHECK(run.decisions.back().directions[kDown].state == "IDLE");
  CHECK(run.report.counters.samples_rejected == 0);

  // A heartbeat at least once per second (plus one probe interval, since
  // decisions are made when records arrive).
  for (std::size_t i = 1; i < run.decisions.size(); ++i) {
    double gap_s = static_cast<double>(run.decisions[i].time_mono_ns - run.decisions[i - 1].time_mono_ns) / 1e9;
    CHECK(gap_s <= 1.06);
  }
}

TEST_CASE("bloat onset cuts within 3 samples below capacity") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 40.0;
  spec.jitter_ms = 1.0;
  spec.queue = [](double t_s, int) { return t_s >= 30.0 ? QueueDelay{0.0, 100.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };
  Trace trace = make_trace(spec);

  ReplayRun run = replay_trace(make_config(), trace, dir);

  // The first sample of the queue is the first reply sent at or after 30 s.
  std::uint64_t first_bloated_id = UINT64_MAX;
  for (const ProbeSample& sample : trace.samples) {
    if (sample.status == SampleStatus::reply && seconds_since_start(spec, sample.send_mono_ns) >= 30.0) {
      first_bloated_id = std::min(first_bloated_id, sample.sample_id);
    }
  }
  std::optional<DecisionRow> cut = first_cut(run.decisions, kDown);
  REQUIRE(cut.has_value());
  CHECK(cut->cause_sample_id >= first_bloated_id);
  CHECK(cut->cause_sample_id <= first_bloated_id + 2);
  CHECK(cut->directions[kDown].bufferbloat == 1);
  CHECK(cut->heartbeat == 0);
  CHECK(cut->cause_recv_mono_ns == trace.samples[cut->cause_sample_id].recv_mono_ns);

  // 90 Mbit/s achieved before the bloat; a 100 ms queue drains in 1 s at
  // 90 % of that: 81 Mbit/s.
  CHECK(cut->directions[kDown].rate_bps == doctest::Approx(81e6).epsilon(0.01));
  CHECK(min_rate(run.decisions, kUp) == kBaseUpBps);
  CHECK(bloat_decisions(run.decisions, kUp) == 0);
}

TEST_CASE("large delay cuts deeper to drain the queue") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 35.0;
  spec.queue = [](double t_s, int) { return t_s >= 30.0 ? QueueDelay{0.0, 300.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  std::optional<DecisionRow> cut = first_cut(run.decisions, kDown);
  REQUIRE(cut.has_value());
  CHECK(cut->directions[kDown].rate_bps == doctest::Approx(63e6).epsilon(0.01));
}

// The cuts that come from one replay, in order.
std::vector<DecisionRow> cuts_of(const ReplayRun& run) {
  std::vector<DecisionRow> cuts;
  for (std::size_t i = 1; i < run.decisions.size(); ++i) {
    if (run.decisions[i].directions[kDown].rate_bps < run.decisions[i - 1].directions[kDown].rate_bps) {
      cuts.push_back(run.decisions[i]);
    }
  }
  return cuts;
}

TEST_CASE("cuts wait for the refractory period") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 36.0;
  // Without telemetry nothing tells our queue from another, so a delay
  // that stays is cut again each time the refractory period ends.
  spec.queue = [](double t_s, int) { return t_s >= 30.0 ? QueueDelay{0.0, 150.0} : QueueDelay{}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  std::vector<DecisionRow> cuts = cuts_of(run);
  REQUIRE(cuts.size() >= 3);
  for (std::size_t i = 1; i < cuts.size(); ++i) {
    double gap_s = static_cast<double>(cuts[i].time_mono_ns - cuts[i - 1].time_mono_ns) / 1e9;
    CHECK(gap_s >= 1.0);
    CHECK(gap_s <= 1.1);
  }
}

TEST_CASE("a delay that stays after a cut below capacity is cut once") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 45.0;
  // A path 150 ms longer from 30 s: the delay neither grows nor drains
  // after the cut, while the achieved rate follows the shaper down.
  spec.queue = [](double t_s, int) { return t_s >= 30.0 ? QueueDelay{0.0, 150.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double t_s) {
    return std::array<double, 2>{t_s < 30.0 ? 95.0 : 95.0 * std::exp(-0.3 * (t_s - 30.0)), 10.0};
  };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  // Cutting every refractory period would take the rate to the floor
  // (10 Mbit/s) within 15 s.
  CHECK(cuts_of(run).size() == 1);
  CHECK(min_rate(run.decisions, kDown) > 50'000'000);
}

TEST_CASE("one reflector jumping 100 ms alone is no bufferbloat") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 60.0;
  spec.jitter_ms = 1.0;
  spec.queue = [](double t_s, int reflector) {
    return reflector == 1 && t_s >= 20.0 ? QueueDelay{50.0, 50.0} : QueueDelay{};
  };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  for (int d : {kDown, kUp}) {
    CHECK(bloat_decisions(run.decisions, d) == 0);
    CHECK(min_rate(run.decisions, d) >= (d == kDown ? kBaseDownBps : kBaseUpBps));
    CHECK_FALSE(any_state(run.decisions, d, "YELLOW"));
    CHECK_FALSE(any_state(run.decisions, d, "RED"));
  }
}

TEST_CASE("one of two reflectors jumping alone is no bufferbloat") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = {{20.0}, {30.0}};
  spec.duration_s = 60.0;
  spec.queue = [](double t_s, int reflector) {
    return reflector == 0 && t_s >= 20.0 ? QueueDelay{50.0, 50.0} : QueueDelay{};
  };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir, {}, 2);

  CHECK(bloat_decisions(run.decisions, kDown) == 0);
  CHECK(min_rate(run.decisions, kDown) >= kBaseDownBps);
}

TEST_CASE("reflectors starting at 160 ms cause no cut") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = {{160.0}, {165.0}, {170.0, true, 40.0}};
  spec.duration_s = 120.0;
  spec.jitter_ms = 2.0;
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  for (int d : {kDown, kUp}) {
    CHECK(bloat_decisions(run.decisions, d) == 0);
    CHECK(min_rate(run.decisions, d) >= (d == kDown ? kBaseDownBps : kBaseUpBps));
    CHECK_FALSE(any_state(run.decisions, d, "YELLOW"));
  }
  const EstimatorStatus& status = run.report.final_status;
  REQUIRE(status.reflector_count == 3);
  CHECK(status.reflectors[0].baseline_rtt_us == doctest::Approx(160'000).epsilon(0.02));
}

TEST_CASE("one second without replies at low load holds the rate") {
  TempDir dir;
  TraceSpec spec;
  spec.duration_s = 40.0;
  spec.jitter_ms = 1.0;
  spec.answered = [](double t_s, int) { return t_s < 20.0 || t_s >= 21.0; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{5.0, 1.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  CHECK(any_state(run.decisions, kDown, "STALL"));
  for (const DecisionRow& row : run.decisions) {
    CHECK(row.directions[kDown].rate_bps == kBaseDownBps);
    CHECK(row.directions[kUp].rate_bps == kBaseUpBps);
    CHECK(row.directions[kDown].bufferbloat == 0);
  }
  const DirectionRow& last = run.decisions.back().directions[kDown];
  CHECK((last.state == "GREEN" || last.state == "IDLE"));
}

TEST_CASE("long outage goes to the safe rate") {
  TempDir dir;
  TraceSpec spec;
  spec.duration_s = 60.0;
  spec.answered = [](double t_s, int) { return t_s < 10.0; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{5.0, 1.0}; };
  ConfigText text;
  text.download = "safe_rate_mbps = 50\n";

  ReplayRun run = replay_trace(make_config(text), make_trace(spec), dir);

  for (const DecisionRow& row : run.decisions) {
    double t_s = seconds_since_start(spec, row.time_mono_ns);
    if (t_s < 39.0) {
      CHECK(row.directions[kDown].rate_bps == kBaseDownBps);
    } else if (t_s > 41.0) {
      CHECK(row.directions[kDown].state == "STALL");
      CHECK(row.directions[kDown].rate_bps == 50'000'000);
      CHECK(row.directions[kUp].rate_bps == kBaseUpBps);
    }
  }
}

TEST_CASE("timestamps across midnight give no spike") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 60.0;
  spec.jitter_ms = 1.0;
  spec.wall_start_ms = 86'400'000.0 - 30'000.0;
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };
  Trace trace = make_trace(spec);

  // Up 15 ms and down 7 ms across the wrap, as in an ICMP timestamp reply
  // with originate 86,399,990, receive 5, transmit 5 and local receive 12.
  CHECK(fold_day_ms(5 - 86'399'990) == 15);
  CHECK(fold_day_ms(12 - 5) == 7);

  ReplayRun run = replay_trace(make_config(), trace, dir);

  for (int d : {kDown, kUp}) {
    CHECK(bloat_decisions(run.decisions, d) == 0);
    CHECK(min_rate(run.decisions, d) >= (d == kDown ? kBaseDownBps : kBaseUpBps));
    CHECK_FALSE(any_state(run.decisions, d, "YELLOW"));
    for (const DecisionRow& row : run.decisions) {
      CHECK(std::llabs(row.directions[d].delta_us) < 5'000);
    }
  }
  CHECK(run.report.counters.clock_steps == 0);
  CHECK(run.report.counters.owd_dropped == 0);
}

TEST_CASE("wall clock stepped back 1.76 s mid-flight is no bloat") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 60.0;
  spec.jitter_ms = 1.0;
  // The step lands while a probe sent at 20.000 s is in flight.
  spec.local_clock_step_ms = [](double t_s) { return t_s >= 20.005 ? -1760.0 : 0.0; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  CHECK(run.report.counters.owd_dropped >= 1);
  CHECK(run.report.counters.clock_steps == 3);
  for (int d : {kDown, kUp}) {
    CHECK(bloat_decisions(run.decisions, d) == 0);
    CHECK(min_rate(run.decisions, d) >= (d == kDown ? kBaseDownBps : kBaseUpBps));
    CHECK_FALSE(any_state(run.decisions, d, "YELLOW"));
  }
  const EstimatorStatus& status = run.report.final_status;
  REQUIRE(status.reflector_count == 3);
  for (std::uint32_t r = 0; r < status.reflector_count; ++r) {
    CHECK(status.reflectors[r].has_owd == 1);
  }
}

TEST_CASE("reflector clock stepped by 30 minutes resets its baselines") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 40.0;
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };
  spec.local_clock_step_ms = [](double t_s) { return t_s >= 20.0 ? 1'800'000.0 : 0.0; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  CHECK(run.report.counters.clock_steps == 3);
  CHECK(bloat_decisions(run.decisions, kDown) == 0);
  CHECK(bloat_decisions(run.decisions, kUp) == 0);
  CHECK(min_rate(run.decisions, kDown) >= kBaseDownBps);
}

TEST_CASE("telemetry counter reset and jump give no huge achieved rate") {
  TempDir dir;
  TraceSpec spec;
  spec.duration_s = 40.0;
  spec.achieved_mbps = [](double) { return std::array<double, 2>{50.0, 10.0}; };
  Trace trace = make_trace(spec);
  for (std::size_t i = 100; i < trace.telemetry.size(); ++i) {
    trace.telemetry[i].directions[kDown].bytes_total -= trace.telemetry[99].directions[kDown].bytes_total;
  }
  for (std::size_t i = 200; i < trace.telemetry.size(); ++i) {
    trace.telemetry[i].directions[kUp].bytes_total += 50'000'000'000ULL;
  }

  ReplayRun run = replay_trace(make_config(), trace, dir);

  // The first reading is only a reference, so the first decision has no rate.
  CHECK(run.decisions.front().directions[kDown].achieved_rate_bps == 0);
  for (const DecisionRow& row : run.decisions) {
    CHECK(row.directions[kDown].achieved_rate_bps <= 51'000'000);
    CHECK(row.directions[kUp].achieved_rate_bps <= 11'000'000);
  }
  CHECK(run.report.final_status.telemetry_rejected == 2);
  CHECK(run.decisions.back().directions[kDown].achieved_rate_bps == doctest::Approx(50e6).epsilon(0.01));
}

TEST_CASE("monitor-only direction keeps its rate at base") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 60.0;
  spec.queue = [](double t_s, int) { return t_s >= 20.0 ? QueueDelay{100.0, 100.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };
  ConfigText text;
  text.download = "monitor_only = true\n";

  ReplayRun run = replay_trace(make_config(text), make_trace(spec), dir);

  for (const DecisionRow& row : run.decisions) {
    CHECK(row.directions[kDown].apply == 0);
    CHECK(row.directions[kDown].rate_bps == kBaseDownBps);
    CHECK(row.directions[kUp].apply == 1);
  }
  CHECK(bloat_decisions(run.decisions, kDown) > 0);
  CHECK(any_state(run.decisions, kDown, "RED"));
  CHECK(min_rate(run.decisions, kUp) < kBaseUpBps);
}

TEST_CASE("delay rise at low load never collapses the rate") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 90.0;
  spec.queue = [](double t_s, int) { return t_s >= 20.0 ? QueueDelay{0.0, 100.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{5.0, 1.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  // 100 ms is more than twice the 30 ms threshold: the deepest factor, 0.75.
  CHECK(first_cut(run.decisions, kDown).has_value());
  CHECK(min_rate(run.decisions, kDown) == doctest::Approx(75e6).epsilon(0.005));
}

TEST_CASE("capacity drop keeps cutting while our queue grows") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 40.0;
  // From 20 s the link carries 15 Mbit/s and our queue grows by 200 ms per
  // second, as a bottleneck's buffer does while the shaper is above capacity.
  spec.queue = [](double t_s, int) {
    return t_s >= 20.0 ? QueueDelay{0.0, (t_s - 20.0) * 200.0} : QueueDelay{};
  };
  spec.achieved_mbps = [](double t_s) { return std::array<double, 2>{t_s >= 20.0 ? 15.0 : 90.0, 1.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  // A limit of 0.75 of the episode's start would hold the rate at 75 Mbit/s.
  std::optional<double> below_capacity_s;
  std::int64_t start_ns = run.decisions.front().time_mono_ns;
  for (const DecisionRow& row : run.decisions) {
    if (row.directions[kDown].rate_bps <= 15'000'000) {
      below_capacity_s = static_cast<double>(row.time_mono_ns - start_ns) / 1e9;
      break;
    }
  }
  REQUIRE(below_capacity_s.has_value());
  CHECK(*below_capacity_s < 26.0);
}

TEST_CASE("capacity drop under load cuts to the achieved rate at once") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 25.0;
  // Loaded at 90 Mbit/s until 20 s; then the link carries 15 Mbit/s and the
  // bottleneck's queue grows by 200 ms per second.
  spec.queue = [](double t_s, int) {
    return t_s >= 20.0 ? QueueDelay{0.0, (t_s - 20.0) * 200.0} : QueueDelay{};
  };
  spec.achieved_mbps = [](double t_s) { return std::array<double, 2>{t_s >= 20.0 ? 15.0 : 90.0, 1.0}; };
  Trace trace = make_trace(spec);

  ReplayRun run = replay_trace(make_config(), trace, dir);

  // The first cut already goes below the new capacity, although the achieved
  // rate is below half the shaper rate as at low load, and although the
  // capacity window still holds the 90 Mbit/s of a second ago.
  std::optional<DecisionRow> cut = first_cut(run.decisions, kDown);
  REQUIRE(cut.has_value());
  double cut_at_s = seconds_since_start(spec, trace.samples[cut->cause_sample_id].send_mono_ns);
  CHECK(cut_at_s < 20.5);
  CHECK(cut->directions[kDown].rate_bps <= 15e6 * 0.9);
  CHECK(cut->directions[kDown].rate_bps >= 15e6 * 0.5);
}

TEST_CASE("after a capacity drop ends the rate climbs back to base within seconds") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 40.0;
  // 15 Mbit/s with a growing queue from 20 to 21 s. From 22 s the link is
  // fast again and carries whatever the shaper allows.
  spec.queue = [](double t_s, int) {
    return t_s >= 20.0 && t_s < 21.0 ? QueueDelay{0.0, (t_s - 20.0) * 200.0} : QueueDelay{};
  };
  spec.achieved_mbps = [](double t_s) {
    return std::array<double, 2>{t_s >= 20.0 && t_s < 22.0 ? 15.0 : 90.0, 1.0};
  };
  Trace trace = make_trace(spec);

  ReplayRun run = replay_trace(make_config(), trace, dir);

  REQUIRE(min_rate(run.decisions, kDown) <= 15'000'000);
  // Four times the normal speed below base: from about 13.5 Mbit/s to base
  // (100 Mbit/s) in about 11 s of GREEN; at the normal doubling time of 15 s
  // it would take 43 s.
  std::optional<double> back_at_base_s;
  for (const DecisionRow& row : run.decisions) {
    double t_s = seconds_since_start(spec, row.time_mono_ns);
    if (t_s > 22.0 && row.directions[kDown].rate_bps >= kBaseDownBps) {
      back_at_base_s = t_s;
      break;
    }
  }
  REQUIRE(back_at_base_s.has_value());
  CHECK(*back_at_base_s < 38.0);
  CHECK(*back_at_base_s > 30.0);
}

TEST_CASE("delay rise just above the threshold at low load cuts gently") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 40.0;
  spec.queue = [](double t_s, int) { return t_s >= 20.0 ? QueueDelay{0.0, 36.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{5.0, 1.0}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  // 36 ms is 20 % of the way from 30 to 60 ms: 0.99 - 0.2 * 0.24 = 0.942.
  CHECK(min_rate(run.decisions, kDown) == doctest::Approx(94.2e6).epsilon(0.01));
}

TEST_CASE("no telemetry cuts by the queue-drain factor") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 25.0;
  spec.queue = [](double t_s, int) { return t_s >= 20.0 ? QueueDelay{0.0, 100.0} : QueueDelay{}; };

  ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);

  std::optional<DecisionRow> cut = first_cut(run.decisions, kDown);
  REQUIRE(cut.has_value());
  CHECK(cut->directions[kDown].rate_bps == doctest::Approx(90e6).epsilon(0.01));
  CHECK(cut->directions[kDown].achieved_rate_bps == 0);
}

TEST_CASE("GREEN increases only while loaded") {
  TempDir dir;
  TraceSpec spec;
  spec.duration_s = 60.0;
  spec.jitter_ms = 1.0;

  SUBCASE("loaded: up to where the load share falls below 75 %") {
    spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };
    ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);
    std::uint64_t highest = max_rate(run.decisions, kDown);
    CHECK(highest > 115'000'000);
    // No increase before GREEN has held for green_hold_s (2 s).
    for (const DecisionRow& row : run.decisions) {
      if (row.directions[kDown].rate_bps > kBaseDownBps) {
        CHECK(seconds_since_start(spec, row.time_mono_ns) >= 2.0);
        break;
      }
    }
    CHECK(highest <= 121'000'000);
    CHECK(run.decisions.back().directions[kDown].state == "GREEN");
  }
  SUBCASE("lightly loaded: stays at base") {
    spec.achieved_mbps = [](double) { return std::array<double, 2>{30.0, 5.0}; };
    ReplayRun run = replay_trace(make_config(), make_trace(spec), dir);
    CHECK(max_rate(run.decisions, kDown) == kBaseDownBps);
    CHECK(min_rate(run.decisions, kDown) == kBaseDownBps);
  }
}

TEST_CASE("SOFT_RED clamps to its floor after the sustain time") {
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = timestamp_reflectors();
  spec.duration_s = 40.0;
  spec.queue = [](double t_s, int) { return t_s >= 20.0 ? QueueDelay{0.0, 55.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{50.0, 10.0}; };
  ConfigText text;
  text.estimator = "bloat_delta_ms = 200\n";
  text.download = "soft_red_floor_mbps = 40\n";

  ReplayRun run = replay_trace(make_config(text), make_trace(spec), dir);

  std::optional<double> yellow_s;
  std::optional<double> soft_red_s;
  for (const DecisionRow& row : run.decisions) {
    double t_s = seconds_since_start(spec, row.time_mono_ns);
    if (!yellow_s && row.directions[kDown].state == "YELLOW") {
      yellow_s = t_s;
    }
    if (!soft_red_s && row.directions[kDown].state == "SOFT_RED") {
      soft_red_s = t_s;
      CHECK(row.directions[kDown].rate_bps == 40'000'000);
    }
  }
  REQUIRE(yellow_s.has_value());
  REQUIRE(soft_red_s.has_value());
  CHECK(*soft_red_s - *yellow_s >= 1.0);
  CHECK(run.decisions.back().directions[kDown].rate_bps == 40'000'000);
  CHECK(run.decisions.back().directions[kUp].rate_bps == kBaseUpBps);
}

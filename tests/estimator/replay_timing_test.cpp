// Replay-path tests of timing and persistence: probe-rate invariance,
// restart from a state file, determinism and rejection of bad rows.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "replay_helpers.hpp"
#include "run_command.hpp"
#include "state_file.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

constexpr int kDown = 0;

Trace truncate(const Trace& trace, std::int64_t end_ns) {
  Trace part;
  for (const ProbeSample& sample : trace.samples) {
    if (sample_event_ns(sample) < end_ns) {
      part.samples.push_back(sample);
    }
  }
  for (const LinkTelemetry& reading : trace.telemetry) {
    if (reading.time_mono_ns < end_ns) {
      part.telemetry.push_back(reading);
    }
  }
  return part;
}

Trace from_time(const Trace& trace, std::int64_t start_ns) {
  Trace part;
  for (const ProbeSample& sample : trace.samples) {
    if (sample_event_ns(sample) >= start_ns) {
      part.samples.push_back(sample);
    }
  }
  for (const LinkTelemetry& reading : trace.telemetry) {
    if (reading.time_mono_ns >= start_ns) {
      part.telemetry.push_back(reading);
    }
  }
  return part;
}

// Idle until 80 s with a route change of +20 ms RTT at 40 s, then a loaded
// link whose queue grows by 10 ms per second.
TraceSpec rate_scenario(double probe_rate_hz) {
  TraceSpec spec;
  spec.reflectors = {{20.0, true, 300.0}, {25.0, true, -40.0}, {30.0, true, 7.0}};
  spec.probe_rate_hz = probe_rate_hz;
  spec.duration_s = 90.0;
  spec.jitter_ms = 0.3;
  spec.queue = [](double t_s, int) {
    QueueDelay queue;
    if (t_s >= 40.0) {
      queue = {10.0, 10.0};
    }
    if (t_s >= 80.0) {
      queue.down_ms += 10.0 * (t_s - 80.0);
    }
    return queue;
  };
  spec.achieved_mbps = [](double t_s) {
    return t_s < 80.0 ? std::array<double, 2>{5.0, 1.0} : std::array<double, 2>{90.0, 1.0};
  };
  return spec;
}

double seconds_since_start(const TraceSpec& spec, std::int64_t time_ns) {
  return static_cast<double>(time_ns - spec.start_ns) / 1e9;
}

std::int64_t at_s(const TraceSpec& spec, double t_s) { return spec.start_ns + std::llround(t_s * 1e9); }

}  // namespace

TEST_CASE("10 and 50 probes/s agree on baselines and first cut") {
  TempDir dir;
  EstimatorConfig config = make_config();
  const std::vector<double> checkpoints_s = {39.0, 50.0, 60.0, 70.0, 79.0};

  // RTT baseline of each reflector at each checkpoint, per probe rate.
  std::array<std::vector<std::array<double, 3>>, 2> baselines;
  std::array<double, 2> first_cut_s{};
  const std::array<double, 2> rates_hz = {10.0, 50.0};
  for (std::size_t k = 0; k < rates_hz.size(); ++k) {
    TraceSpec spec = rate_scenario(rates_hz[k]);
    Trace trace = make_trace(spec);
    for (double checkpoint_s : checkpoints_s) {
      ReplayRun run = replay_trace(config, truncate(trace, at_s(spec, checkpoint_s)), dir);
      REQUIRE(run.report.final_status.reflector_count == 3);
      std::array<double, 3> values{};
      for (int r = 0; r < 3; ++r) {
        values[static_cast<std::size_t>(r)] = run.report.final_status.reflectors[r].baseline_rtt_us;
      }
      baselines[k].push_back(values);
    }

    ReplayRun run = replay_trace(config, trace, dir);
    for (std::size_t i = 1; i < run.decisions.size(); ++i) {
      if (run.decisions[i].directions[kDown].rate_bps < run.decisions[i - 1].directions[kDown].rate_bps) {
        first_cut_s[k] = seconds_since_start(spec, run.decisions[i].time_mono_ns);
        break;
      }
    }
  }

  // The route change lifts each baseline by 20 ms * (1 - exp(-t / 120 s));
  // compare the rise since the change at both rates.
  for (std::size_t c = 1; c < checkpoints_s.size(); ++c) {
    for (std::size_t r = 0; r < 3; ++r) {
      double rise_10_us = baselines[0][c][r] - baselines[0][0][r];
      double rise_50_us = baselines[1][c][r] - baselines[1][0][r];
      double expected_us = 20'000.0 * -std::expm1(-(checkpoints_s[c] - 40.0) / config.baseline_rise_s);
      INFO("checkpoint " << checkpoints_s[c] << " s, reflector " << r << ": rise " << rise_10_us << " us at 10/s, "
                         << rise_50_us << " us at 50/s, " << expected_us << " us expected");
      CHECK(std::abs(rise_10_us - rise_50_us) <= 0.1 * std::max(rise_10_us, rise_50_us));
      CHECK(rise_50_us == doctest::Approx(expected_us).epsilon(0.15));
    }
  }

  // Time of the first cut, counted from the start of the load at 80 s.
  INFO("first cut " << first_cut_s[0] << " s at 10/s, " << first_cut_s[1] << " s at 50/s");
  REQUIRE(first_cut_s[0] > 80.0);
  REQUIRE(first_cut_s[1] > 80.0);
  double since_load_10_s = first_cut_s[0] - 80.0;
  double since_load_50_s = first_cut_s[1] - 80.0;
  CHECK(std::abs(since_load_10_s - since_load_50_s) <= 0.1 * std::max(since_load_10_s, since_load_50_s));
}

TEST_CASE("restart mid-trace restores baselines and rates") {
  TempDir dir;
  EstimatorConfig config = make_config();
  TraceSpec spec;
  spec.reflectors = {{20.0, true, 300.0}, {25.0, true, -40.0}, {30.0, true, 7.0}};
  spec.duration_s = 60.0;
  spec.jitter_ms = 0.5;
  spec.queue = [](double t_s, int) { return t_s >= 28.0 && t_s < 45.0 ? QueueDelay{0.0, 120.0} : QueueDelay{}; };
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 10.0}; };
  Trace trace = make_trace(spec);
  std::string state_path = dir.path("estimator.state");

  estimator::ReplayOptions save;
  save.save_state_path = state_path;
  ReplayRun first = replay_trace(config, truncate(trace, at_s(spec, 30.0)), dir, save);
  const EstimatorStatus& saved = first.report.final_status;
  REQUIRE(saved.directions[kDown].rate_bps < 100'000'000);
  REQUIRE(saved.reflector_count == 3);

  SUBCASE("recent state: baselines, rates and decision ids continue") {
    estimator::ReplayOptions restore;
    restore.restore_state_path = state_path;
    ReplayRun second = replay_trace(config, from_time(trace, at_s(spec, 30.0)), dir, restore);
    CHECK(second.report.restored);
    CHECK(second.report.baselines_restored);
    REQUIRE_FALSE(second.decisions.empty());
    CHECK(second.decisions.front().decision_id == saved.decision_id + 1);
    CHECK(second.decisions.front().directions[kDown].rate_bps == saved.directions[kDown].rate_bps);

    // The queue is still there at 30 s: only the restored baselines see it.
    auto bloated = std::find_if(second.decisions.begin(), second.decisions.end(),
                                [](const DecisionRow& row) { return row.directions[kDown].bufferbloat == 1; });
    REQUIRE(bloated != second.decisions.end());
    CHECK(bloated->time_mono_ns - at_s(spec, 30.0) < 500'000'000);
    CHECK(bloated->directions[kDown].delta_us > 100'000);

    ReplayRun whole = replay_trace(config, trace, dir);
    for (std::uint32_t r = 0; r < 3; ++r) {
      const ReflectorEstimate& resumed = second.report.final_status.reflectors[r];
      const ReflectorEstimate& uninterrupted = whole.report.final_status.reflectors[r];
      CHECK(resumed.baseline_rtt_us == doctest::Approx(uninterrupted.baseline_rtt_us).epsilon(0.02));
      CHECK(resumed.baseline_down_us == doctest::Approx(uninterrupted.baseline_down_us).epsilon(0.02));
    }
  }

  SUBCASE("without the state the queue becomes the baseline") {
    ReplayRun fresh = replay_trace(config, from_time(trace, at_s(spec, 30.0)), dir);
    REQUIRE_FALSE(fresh.decisions.empty());
    CHECK(fresh.decisions.front().directions[kDown].rate_bps == 100'000'000);
    for (const DecisionRow& row : fresh.decisions) {
      CHECK(row.directions[kDown].bufferbloat == 0);
    }
  }

  SUBCASE("state older than the baseline reset keeps rates only") {
    Trace later = from_time(trace, at_s(spec, 30.0));
    std::int64_t shift_ns = 120'000'000'000;
    for (ProbeSample& sample : later.samples) {
      sample.send_mono_ns += shift_ns;
      sample.recv_mono_ns += sample.recv_mono_ns != 0 ? shift_ns : 0;
    }
    for (LinkTelemetry& reading : later.telemetry) {
      reading.time_mono_ns += shift_ns;
    }
    estimator::ReplayOptions restore;
    restore.restore_state_path = state_path;
    ReplayRun second = replay_trace(config, later, dir, restore);
    CHECK(second.report.restored);
    CHECK_FALSE(second.report.baselines_restored);
    REQUIRE_FALSE(second.decisions.empty());
    CHECK(second.decisions.front().directions[kDown].rate_bps == saved.directions[kDown].rate_bps);
  }
}

TEST_CASE("replay binary output is byte-identical across runs") {
  std::string replay = program_path("WANCTL_REPLAY");
  REQUIRE_FALSE(replay.empty());
  TempDir dir;
  TraceSpec spec;
  spec.reflectors = {{20.0, true, 300.0}, {25.0}, {30.0, true, 7.0}};
  spec.duration_s = 120.0;
  spec.jitter_ms = 2.0;
  spec.queue = [](double t_s, int) {
    return t_s >= 40.0 && t_s < 70.0 ? QueueDelay{20.0, 80.0 + 40.0 * std::sin(t_s)} : QueueDelay{};
  };
  spec.achieved_mbps = [](double t_s) { return std::array<double, 2>{60.0 + 30.0 * std::sin(t_s / 7.0), 12.0}; };
  Trace trace = make_trace(spec);
  write_samples_csv(trace.samples, dir.path("samples.csv"));
  write_telemetry_csv(trace.telemetry, dir.path("telemetry.csv"));
  {
    std::ofstream config(dir.path("wan1.toml"));
    config << wan_config_text({});
  }

  std::string command = replay + " --config " + dir.path("wan1.toml") + " --samples " + dir.path("samples.csv") +
                        " --telemetry " + dir.path("telemetry.csv") + " --output ";
  CommandResult first = run_command(command + dir.path("first.csv"));
  CommandResult second = run_command(command + dir.path("second.csv"));
  REQUIRE(first.status == 0);
  REQUIRE(second.status == 0);
  CHECK(first.err.find("decisions") != std::string::npos);

  std::string first_csv = read_file(dir.path("first.csv"));
  std::string second_csv = read_file(dir.path("second.csv"));
  CHECK(first_csv.size() > 1000);
  CHECK(first_csv == second_csv);

  // The library path writes the same bytes as the program.
  ReplayRun in_process = replay_trace(make_config(), trace, dir);
  CHECK(in_process.csv == first_csv);
  CHECK(in_process.decisions.size() > 120);
}

TEST_CASE("bad sample and telemetry rows are rejected and counted") {
  TempDir dir;
  EstimatorConfig config = make_config();
  TraceSpec spec;
  spec.reflectors = {{20.0, true, 300.0}, {25.0}, {30.0}};
  spec.duration_s = 30.0;
  spec.jitter_ms = 1.0;
  spec.achieved_mbps = [](double) { return std::array<double, 2>{90.0, 18.0}; };
  Trace trace = make_trace(spec);
  ReplayRun clean = replay_trace(config, trace, dir);

  // Rows that would drag a baseline far down or far up if they were used,
  // inserted between good rows with ids no good row has.
  std::string samples_csv = read_file(dir.path("samples.csv"));
  std::istringstream lines(samples_csv);
  std::string header;
  std::getline(lines, header);
  const ProbeSample& model = trace.samples[300];
  auto row = [&](std::uint64_t id, const std::string& reflector_id, const std::string& status, std::int64_t send_ns,
                 const std::string& recv_ns, const std::string& rtt_ns) {
    return std::to_string(id) + "," + reflector_id + ",192.0.2.1," + status + ",echo," + std::to_string(send_ns) +
           "," + recv_ns + "," + rtt_ns + ",0,0,0,1,0,0";
  };
  std::int64_t send_ns = model.send_mono_ns;
  std::vector<std::string> bad_rows = {
      row(900001, "0", "reply", send_ns, std::to_string(send_ns + 1'000'000), "nan"),
      row(900002, "0", "reply", send_ns, std::to_string(send_ns - 5'000'000), "-5000000"),
      row(900003, "0", "reply", send_ns, std::to_string(send_ns + 100'000'000'000), "100000000000"),
      row(900004, "7", "reply", send_ns, std::to_string(send_ns + 1'000'000), "1000000"),
      row(900005, "1", "reply", send_ns, std::to_string(send_ns + 1'000'000), "90000000"),
      row(900006, "1", "bogus", send_ns, std::to_string(send_ns + 1'000'000), "1000000"),
      row(900007, "1", "reply", 0, "1000000", "1000000"),
      "900008,1,192.0.2.1,reply",
  };
  std::ofstream corrupted(dir.path("corrupted.csv"));
  corrupted << header << "\n";
  std::string line;
  std::size_t index = 0;
  while (std::getline(lines, line)) {
    corrupted << line << "\n";
    if (++index == 301) {
      for (const std::string& bad : bad_rows) {
        corrupted << bad << "\n";
      }
    }
  }
  corrupted.close();

  std::string telemetry_csv = read_file(dir.path("telemetry.csv"));
  std::size_t second_line = telemetry_csv.find('\n', telemetry_csv.find('\n') + 1) + 1;
  std::string bad_telemetry = "nan" + telemetry_csv.substr(telemetry_csv.find(',', second_line),
                                                            telemetry_csv.find('\n', second_line) -
                                                                telemetry_csv.find(',', second_line)) + "\n";
  std::size_t insert_at = second_line;
  for (int i = 0; i < 50; ++i) {
    insert_at = telemetry_csv.find('\n', insert_at) + 1;
  }
  telemetry_csv.insert(insert_at, bad_telemetry);
  std::ofstream(dir.path("corrupted_telemetry.csv")) << telemetry_csv;

  estimator::ReplayOptions options;
  options.samples_path = dir.path("corrupted.csv");
  options.telemetry_path = dir.path("corrupted_telemetry.csv");
  std::ostringstream out;
  estimator::ReplayReport report = estimator::run_replay(config, 3, options, out);

  CHECK(report.bad_sample_rows == 3);
  CHECK(report.bad_telemetry_rows == 1);
  CHECK(report.counters.samples_rejected == bad_rows.size());
  CHECK(report.final_status.samples_rejected == bad_rows.size());
  CHECK(report.counters.telemetry_rejected == 1);
  REQUIRE(report.row_errors.size() == 4);
  CHECK(report.row_errors[0].find("corrupted_telemetry.csv:53: time_mono_ns = \"nan\"") != std::string::npos);
  CHECK(report.row_errors[1].find("corrupted.csv:303: rtt_ns = \"nan\"") != std::string::npos);
  CHECK(report.row_errors[2].find("corrupted.csv:308: status = \"bogus\"") != std::string::npos);
  CHECK(report.row_errors[3].find("corrupted.csv:310: the row has 4 fields") != std::string::npos);

  // Nothing of the bad rows reached a baseline or a decision.
  CHECK(out.str() == clean.csv);
  for (std::uint32_t r = 0; r < 3; ++r) {
    CHECK(report.final_status.reflectors[r].baseline_rtt_us == clean.report.final_status.reflectors[r].baseline_rtt_us);
  }
}

// Running the replay path on synthetic traces and reading its decisions back.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "estimator_config.hpp"
#include "replay.hpp"
#include "synthetic_trace.hpp"

namespace wanctl::test {

// Keys added to the tables of the test configuration, one "key = value" per
// line. The rates are 10/100/200 Mbit/s down and 2/20/40 Mbit/s up.
struct ConfigText {
  std::string estimator;
  std::string download;
  std::string upload;
};

// The configuration file text, with an [instance] and a [prober] table.
std::string wan_config_text(const ConfigText& extra, const std::string& instance = "wan1",
                            int reflectors = 3, const std::string& state_file = "");

// Parses the [estimator] table of wan_config_text(); fails the test on errors.
EstimatorConfig make_config(const ConfigText& extra = {});

struct DirectionRow {
  std::uint64_t rate_bps = 0;
  std::uint64_t achieved_rate_bps = 0;
  std::int64_t delta_us = 0;
  std::int64_t smoothed_delta_us = 0;
  std::string state;
  int apply = 0;
  int bufferbloat = 0;
};

struct DecisionRow {
  std::uint64_t decision_id = 0;
  std::int64_t time_mono_ns = 0;
  std::uint64_t cause_sample_id = 0;
  std::int64_t cause_recv_mono_ns = 0;
  int heartbeat = 0;
  std::array<DirectionRow, kDirectionCount> directions;
};

// Parses decisions CSV as wanctl-replay writes it.
std::vector<DecisionRow> parse_decisions(const std::string& csv);

struct ReplayRun {
  estimator::ReplayReport report;
  std::string csv;                     // the decisions exactly as written
  std::vector<DecisionRow> decisions;
};

// A directory for the test's files, removed with its contents at the end.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Writes the trace to CSV files in `dir` and replays them.
ReplayRun replay_trace(const EstimatorConfig& config, const Trace& trace, const TempDir& dir,
                       const estimator::ReplayOptions& extra = {}, int reflector_count = 3);

}  // namespace wanctl::test

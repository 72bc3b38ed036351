#include "replay_helpers.hpp"

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <sstream>

#include "config_reader.hpp"
#include "trace_csv.hpp"

namespace wanctl::test {

std::string wan_config_text(const ConfigText& extra, const std::string& instance, int reflectors,
                            const std::string& state_file) {
  std::string list;
  for (int r = 0; r < reflectors; ++r) {
    list += std::string(r == 0 ? "" : ", ") + "\"192.0.2." + std::to_string(r + 1) + "\"";
  }
  return "[instance]\n"
         "name = \"" + instance + "\"\n"
         "\n[prober]\n"
         "reflectors = [" + list + "]\n"
         "\n[estimator]\n"
         "state_file = \"" + state_file + "\"\n" +
         extra.estimator +
         "\n[estimator.download]\n"
         "min_rate_mbps = 10\n"
         "base_rate_mbps = 100\n"
         "max_rate_mbps = 200\n" +
         extra.download +
         "\n[estimator.upload]\n"
         "min_rate_mbps = 2\n"
         "base_rate_mbps = 20\n"
         "max_rate_mbps = 40\n" +
         extra.upload;
}

EstimatorConfig make_config(const ConfigText& extra) {
  ConfigReader reader = ConfigReader::parse(wan_config_text(extra), "test.toml");
  EstimatorConfig config;
  read_estimator_config(reader, config);
  for (const std::string& error : reader.errors()) {
    FAIL_CHECK(error);
  }
  REQUIRE(reader.errors().empty());
  return config;
}

std::vector<DecisionRow> parse_decisions(const std::string& csv) {
  std::istringstream in(csv);
  estimator::CsvReader reader(in);
  std::vector<std::string> header;
  REQUIRE(reader.next(header));
  estimator::ColumnMap columns(header);

  std::vector<DecisionRow> rows;
  std::vector<std::string> fields;
  while (reader.next(fields)) {
    auto number = [&](const std::string& name) { return std::stoll(columns.field(fields, name)); };
    auto unsigned_number = [&](const std::string& name) { return std::stoull(columns.field(fields, name)); };
    DecisionRow row;
    row.decision_id = unsigned_number("decision_id");
    row.time_mono_ns = number("time_mono_ns");
    row.cause_sample_id = unsigned_number("cause_sample_id");
    row.cause_recv_mono_ns = number("cause_recv_mono_ns");
    row.heartbeat = static_cast<int>(number("heartbeat"));
    for (int d = 0; d < kDirectionCount; ++d) {
      std::string p = d == 0 ? "download_" : "upload_";
      DirectionRow& direction = row.directions[static_cast<std::size_t>(d)];
      direction.rate_bps = unsigned_number(p + "rate_bps");
      direction.achieved_rate_bps = unsigned_number(p + "achieved_rate_bps");
      direction.delta_us = number(p + "delta_us");
      direction.smoothed_delta_us = number(p + "smoothed_delta_us");
      direction.state = columns.field(fields, p + "state");
      direction.apply = static_cast<int>(number(p + "apply"));
      direction.bufferbloat = static_cast<int>(number(p + "bufferbloat"));
    }
    rows.push_back(row);
  }
  return rows;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "wanctl-estimator-test-XXXXXX").string();
  REQUIRE(::mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

ReplayRun replay_trace(const EstimatorConfig& config, const Trace& trace, const TempDir& dir,
                       const estimator::ReplayOptions& extra, int reflector_count) {
  estimator::ReplayOptions options = extra;
  options.samples_path = dir.path("samples.csv");
  write_samples_csv(trace.samples, options.samples_path);
  if (!trace.telemetry.empty()) {
    options.telemetry_path = dir.path("telemetry.csv");
    write_telemetry_csv(trace.telemetry, options.telemetry_path);
  }

  std::ostringstream out;
  ReplayRun run;
  run.report = estimator::run_replay(config, reflector_count, options, out);
  run.csv = out.str();
  run.decisions = parse_decisions(run.csv);
  return run;
}

}  // namespace wanctl::test

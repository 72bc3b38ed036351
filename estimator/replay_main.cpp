// wanctl-replay: runs the estimator on a recorded trace and writes its
// decisions as CSV, so that a configuration can be tuned on recorded traffic.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "replay.hpp"
#include "state_file.hpp"
#include "wan_config.hpp"

using namespace wanctl;

namespace {

int reflector_count_of(const WanConfig& config) {
  return config.prober.reflectors.empty() ? kMaxReflectors : static_cast<int>(config.prober.reflectors.size());
}

void print_report(const estimator::ReplayReport& report, double elapsed_s) {
  for (const std::string& error : report.row_errors) {
    std::fprintf(stderr, "wanctl-replay: skipped row %s\n", error.c_str());
  }
  std::uint64_t bad_rows = report.bad_sample_rows + report.bad_telemetry_rows;
  if (bad_rows > report.row_errors.size()) {
    std::fprintf(stderr, "wanctl-replay: %llu more unparsable rows not listed\n",
                 static_cast<unsigned long long>(bad_rows - report.row_errors.size()));
  }
  double rate = elapsed_s > 0.0 ? static_cast<double>(report.sample_rows) / elapsed_s : 0.0;
  std::fprintf(stderr,
               "wanctl-replay: %llu samples (%llu used, %llu rejected), %llu telemetry readings "
               "(%llu rejected), %llu decisions; %.3f s, %.0f samples/s\n",
               static_cast<unsigned long long>(report.sample_rows),
               static_cast<unsigned long long>(report.counters.samples_used),
               static_cast<unsigned long long>(report.counters.samples_rejected),
               static_cast<unsigned long long>(report.telemetry_rows),
               static_cast<unsigned long long>(report.counters.telemetry_rejected),
               static_cast<unsigned long long>(report.decisions), elapsed_s, rate);
  if (report.restored) {
    std::fprintf(stderr, "wanctl-replay: restored rates and states%s\n",
                 report.baselines_restored ? " and baselines" : "; baselines too old, started anew");
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"Run the wanctl estimator on a recorded trace and print its decisions as CSV."};
  std::string config_path;
  std::string output_path;
  estimator::ReplayOptions options;
  bool quiet = false;

  app.add_option("--config", config_path, "WAN configuration file with an [estimator] table")->required();
  app.add_option("--samples", options.samples_path, "samples trace: CSV as written by wanctl-tap INSTANCE samples")
      ->required();
  app.add_option("--telemetry", options.telemetry_path,
                 "telemetry trace: CSV as written by wanctl-tap INSTANCE telemetry; without it the "
                 "estimator runs on delay alone");
  app.add_option("--output", output_path, "write the decisions to this file instead of standard output");
  app.add_option("--restore-state", options.restore_state_path,
                 "start from an estimator state file (e.g. one written by --save-state)");
  app.add_option("--save-state", options.save_state_path, "write the final state to this state file");
  app.add_flag("-q,--quiet", quiet, "print no summary on standard error");
  CLI11_PARSE(app, argc, argv);

  WanConfig config;
  try {
    config = load_wan_config(config_path);
  } catch (const ConfigError& error) {
    std::fprintf(stderr, "%s\n", error.what());
    return 2;
  }
  if (!config.estimator.configured) {
    std::fprintf(stderr, "%s: no [estimator] table; add one with [estimator.download] and [estimator.upload]\n",
                 config_path.c_str());
    return 2;
  }

  std::ofstream output_file;
  if (!output_path.empty()) {
    output_file.open(output_path, std::ios::out | std::ios::trunc);
    if (!output_file) {
      std::fprintf(stderr, "wanctl-replay: cannot write %s\n", output_path.c_str());
      return 1;
    }
  }
  std::ostream& out = output_path.empty() ? std::cout : output_file;

  try {
    auto start = std::chrono::steady_clock::now();
    estimator::ReplayReport report = estimator::run_replay(config.estimator, reflector_count_of(config), options, out);
    out.flush();
    double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!out) {
      std::fprintf(stderr, "wanctl-replay: writing the decisions failed\n");
      return 1;
    }
    if (!quiet) {
      print_report(report, elapsed_s);
    }
  } catch (const estimator::ReplayError& error) {
    std::fprintf(stderr, "wanctl-replay: %s\n", error.what());
    return 1;
  } catch (const estimator::StateFileError& error) {
    std::fprintf(stderr, "wanctl-replay: %s\n", error.what());
    return 1;
  }
  return 0;
}

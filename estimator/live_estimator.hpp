// The live estimator process: the estimator core between shared-memory
// objects of one instance.
//
// It consumes the prober's samples ring, reads the actuator's telemetry
// block, and produces the decisions ring and the status block. Either input
// may not exist yet at start (or vanish when its producer recreates it); the
// process then retries attaching and meanwhile runs on what it has, on delay
// alone without telemetry. At start it restores baselines, states and rates
// from the status block, or after a reboot from the state file, and it skips
// samples that went stale in the ring while it was down instead of feeding
// them to the control law.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/spdlog.h>

#include "estimator.hpp"
#include "latest_block.hpp"
#include "log_budget.hpp"
#include "logging.hpp"
#include "ring.hpp"
#include "wan_config.hpp"

namespace wanctl::estimator {

class LiveEstimator {
 public:
  // Opens the outputs; throws ShmError when they exist with another layout
  // and recreate is not set.
  LiveEstimator(WanConfig config, bool recreate, std::shared_ptr<spdlog::logger> log);

  // Runs until SIGTERM or SIGINT; returns the exit status.
  int run();

 private:
  void restore_state();
  void try_attach_samples(std::int64_t now_ns);
  void try_attach_telemetry(std::int64_t now_ns);
  void check_inputs_replaced();
  bool read_telemetry();
  int read_samples(std::int64_t now_ns);
  void feed_sample(const ProbeSample& sample, std::uint64_t index, std::int64_t now_ns);
  void publish(const RateDecision& decision);
  void publish_status(std::int64_t now_ns);
  void save_state(std::int64_t now_ns);
  void reload();
  void log_sample_problem(const ProbeSample& sample);
  void log_telemetry_problem(std::uint64_t rejected_before);
  void wait_for_input();

  WanConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  Estimator core_;
  RingWriter<RateDecision> decisions_;
  BlockWriter<EstimatorStatus> status_;

  std::optional<RingReader<ProbeSample>> samples_;
  std::optional<BlockReader<LinkTelemetry>> telemetry_;
  std::uint64_t telemetry_version_ = 0;     // last telemetry version fed to the core
  std::uint64_t catch_up_until_ = 0;        // ring index below which stale samples are skipped
  std::uint64_t skipped_in_catch_up_ = 0;
  std::uint64_t reader_lost_seen_ = 0;      // samples_->lost() already counted

  std::int64_t next_samples_attach_ns_ = 0;
  std::int64_t next_telemetry_attach_ns_ = 0;
  std::int64_t next_replace_check_ns_ = 0;
  std::int64_t last_input_ns_ = 0;          // clock time of the last record or tick
  std::int64_t next_status_ns_ = 0;
  std::int64_t next_state_save_ns_ = 0;
  bool status_dirty_ = false;

  RepeatLimiter samples_attach_limiter_;
  RepeatLimiter telemetry_attach_limiter_;
  RepeatLimiter sample_problem_limiter_;
  RepeatLimiter telemetry_problem_limiter_;
  RepeatLimiter state_save_limiter_;
  LogBudget change_budget_{20, std::chrono::seconds(60)};
};

}  // namespace wanctl::estimator

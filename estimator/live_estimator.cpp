#include "live_estimator.hpp"

#include <time.h>

#include <thread>

#include "mono_time.hpp"
#include "object_name.hpp"
#include "process_signals.hpp"
#include "record_fields.hpp"
#include "record_traits.hpp"
#include "service_notify.hpp"
#include "state_file.hpp"
#include "time_weight.hpp"

namespace wanctl::estimator {
namespace {

// Maximum sleep of the main loop. It bounds the reaction to signals and to
// telemetry, which is polled rather than waited for.
constexpr std::chrono::milliseconds kMaxSleep{100};

// With no record for this long the core gets a tick with the current time,
// so that STALL and heartbeats do not wait for the next record. Samples
// normally arrive far more often, and then no tick is ever given.
constexpr std::int64_t kTickAfterNs = 250'000'000;

constexpr std::int64_t kSamplesAttachRetryNs = 1'000'000'000;
constexpr std::int64_t kTelemetryAttachRetryNs = 2'000'000'000;
constexpr std::int64_t kReplaceCheckNs = 1'000'000'000;
constexpr std::int64_t kStatusIntervalNs = 1'000'000'000;

int reflector_count_of(const WanConfig& config) {
  return config.prober.reflectors.empty() ? kMaxReflectors : static_cast<int>(config.prober.reflectors.size());
}

std::int64_t realtime_now_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return timespec_to_ns(now);
}

std::int64_t sample_time_ns(const ProbeSample& sample) {
  bool has_reply = sample.status == SampleStatus::reply || sample.status == SampleStatus::bad_timestamp;
  return has_reply ? sample.recv_mono_ns : sample.send_mono_ns;
}

std::string describe_rates(const EstimatorStatus& status) {
  std::string text;
  for (int d = 0; d < kDirectionCount; ++d) {
    char part[96];
    std::snprintf(part, sizeof(part), "%s%s %.1f Mbit/s %s", d == 0 ? "" : ", ",
                  std::string(to_string(static_cast<Direction>(d))).c_str(),
                  static_cast<double>(status.directions[d].rate_bps) / 1e6,
                  std::string(to_string(status.directions[d].state)).c_str());
    text += part;
  }
  return text;
}

std::chrono::steady_clock::time_point steady_now() { return std::chrono::steady_clock::now(); }

}  // namespace

LiveEstimator::LiveEstimator(WanConfig config, bool recreate, std::shared_ptr<spdlog::logger> log)
    : config_(std::move(config)),
      log_(std::move(log)),
      core_(config_.estimator, reflector_count_of(config_)),
      decisions_(RingWriter<RateDecision>::open(object_name(config_.instance, RecordTraits<RateDecision>::object),
                                                RecordTraits<RateDecision>::default_capacity, recreate)),
      status_(BlockWriter<EstimatorStatus>::open(object_name(config_.instance, RecordTraits<EstimatorStatus>::object),
                                                 recreate)) {}

void LiveEstimator::restore_state() {
  std::int64_t now_ns = monotonic_now_ns();
  double reset_after_s = config_.estimator.baseline_reset_after_s;

  // The status block lives in /dev/shm, so it is always from this boot.
  if (std::optional<EstimatorStatus> published = status_.last_published()) {
    double age_s = ns_to_s(now_ns - published->time_mono_ns);
    bool trusted = age_s >= 0.0 && age_s <= reset_after_s;
    core_.restore(*published, trusted);
    log_->info("restored from status block {} (age {:.1f} s): {}; baselines of {} reflectors {}", status_.name(),
               age_s, describe_rates(*published), published->reflector_count,
               trusted ? "restored" : "too old, starting anew");
    return;
  }

  const std::string& path = config_.estimator.state_file;
  if (path.empty()) {
    log_->info("starting fresh at base rates: no status block and no state file configured");
    return;
  }
  try {
    std::optional<SavedState> saved = load_state_file(path);
    if (!saved) {
      log_->info("starting fresh at base rates: no status block and no state file {}", path);
      return;
    }
    std::optional<double> age_s = saved_state_age_s(*saved, now_ns, realtime_now_ns(), current_boot_id());
    bool trusted = age_s.has_value() && *age_s <= reset_after_s;
    core_.restore(saved->status, trusted);
    log_->info("restored from state file {} (age {}): {}; baselines {}", path,
               age_s ? fmt::format("{:.1f} s", *age_s) : std::string("unknown"), describe_rates(saved->status),
               trusted ? "restored" : "too old, starting anew");
  } catch (const StateFileError& error) {
    log_->warn("starting fresh at base rates: {}", error.what());
  }
}

void LiveEstimator::try_attach_samples(std::int64_t now_ns) {
  next_samples_attach_ns_ = now_ns + kSamplesAttachRetryNs;
  std::string name = object_name(config_.instance, RecordTraits<ProbeSample>::object);
  try {
    // The prober chooses the capacity; learn it from the header.
    std::uint64_t capacity = RingReader<ProbeSample>::observer(name).capacity();
    samples_.emplace(RingReader<ProbeSample>::consumer(name, capacity));
    reader_lost_seen_ = 0;
    catch_up_until_ = samples_->head();
    skipped_in_catch_up_ = 0;
    log_->info("attached to samples ring {} at index {} (head {}, capacity {})", name, samples_->position(),
               samples_->head(), capacity);
  } catch (const ShmError& error) {
    std::string message = fmt::format("samples ring not available, retrying every second: {}", error.what());
    if (samples_attach_limiter_.allow(message, steady_now())) {
      log_->warn("{}", message);
    }
  }
}

void LiveEstimator::try_attach_telemetry(std::int64_t now_ns) {
  next_telemetry_attach_ns_ = now_ns + kTelemetryAttachRetryNs;
  std::string name = object_name(config_.instance, RecordTraits<LinkTelemetry>::object);
  try {
    telemetry_.emplace(BlockReader<LinkTelemetry>::open(name));
    telemetry_version_ = 0;
    log_->info("attached to telemetry block {}", name);
  } catch (const ShmError& error) {
    std::string message =
        fmt::format("telemetry block not available, running on delay alone and retrying: {}", error.what());
    if (telemetry_attach_limiter_.allow(message, steady_now())) {
      log_->warn("{}", message);
    }
  }
}

void LiveEstimator::check_inputs_replaced() {
  if (samples_ && samples_->object().replaced_by_name()) {
    log_->warn("samples ring {} was recreated by its producer; attaching to the new one", samples_->object().name());
    samples_.reset();
    next_samples_attach_ns_ = 0;
  }
  if (telemetry_ && telemetry_->object().replaced_by_name()) {
    log_->warn("telemetry block {} was recreated by its producer; attaching to the new one",
               telemetry_->object().name());
    telemetry_.reset();
    next_telemetry_attach_ns_ = 0;
  }
}

bool LiveEstimator::read_telemetry() {
  if (!telemetry_ || telemetry_->version() == telemetry_version_) {
    return false;
  }
  std::optional<BlockSnapshot<LinkTelemetry>> snapshot = telemetry_->read();
  if (!snapshot) {
    return false;
  }
  telemetry_version_ = snapshot->version;

  std::uint64_t rejected_before = core_.counters().telemetry_rejected;
  if (std::optional<RateDecision> decision = core_.on_telemetry(snapshot->record)) {
    publish(*decision);
  }
  log_telemetry_problem(rejected_before);
  return true;
}

int LiveEstimator::read_samples(std::int64_t now_ns) {
  if (!samples_) {
    return 0;
  }
  int count = 0;
  while (std::optional<RingEntry<ProbeSample>> entry = samples_->try_read()) {
    feed_sample(entry->record, entry->index, now_ns);
    ++count;
  }

  if (samples_->lost() > reader_lost_seen_) {
    std::uint64_t lost = samples_->lost() - reader_lost_seen_;
    reader_lost_seen_ = samples_->lost();
    core_.counters().samples_lost += lost;
    log_->warn("lost {} samples that the prober overwrote before they were read ({} lost in total)", lost,
               core_.counters().samples_lost);
  }
  if (skipped_in_catch_up_ > 0 && samples_->position() >= catch_up_until_) {
    log_->info("skipped {} samples older than {} s that waited in the ring while the estimator was down",
               skipped_in_catch_up_, config_.estimator.stale_sample_s);
    skipped_in_catch_up_ = 0;
  }
  return count;
}

void LiveEstimator::feed_sample(const ProbeSample& sample, std::uint64_t index, std::int64_t now_ns) {
  // Samples written while the estimator was down would drive the control law
  // with delays that are long over.
  if (index < catch_up_until_ && ns_to_s(now_ns - sample_time_ns(sample)) > config_.estimator.stale_sample_s) {
    ++core_.counters().samples_skipped;
    ++skipped_in_catch_up_;
    status_dirty_ = true;
    return;
  }

  std::optional<RateDecision> decision = core_.on_sample(sample);
  if (core_.last_problem() != SampleProblem::none) {
    log_sample_problem(sample);
  }
  if (decision) {
    publish(*decision);
  }
  status_dirty_ = true;
}

void LiveEstimator::publish(const RateDecision& decision) {
  RateDecision stamped = decision;
  stamped.time_mono_ns = monotonic_now_ns();
  decisions_.push(stamped);
  status_dirty_ = true;

  if (core_.last_decision_notable() && change_budget_.allow(steady_now())) {
    std::uint64_t suppressed = change_budget_.take_suppressed();
    if (suppressed > 0) {
      log_->info("{} state changes were not logged in the last minute", suppressed);
    }
    log_->info("decision {}: {}", decision.decision_id, core_.last_change_reason());
  }
}

void LiveEstimator::publish_status(std::int64_t now_ns) {
  status_.publish(core_.status());
  status_dirty_ = false;
  next_status_ns_ = now_ns + kStatusIntervalNs;
}

void LiveEstimator::save_state(std::int64_t now_ns) {
  next_state_save_ns_ = now_ns + s_to_ns(config_.estimator.state_save_s);
  const std::string& path = config_.estimator.state_file;
  if (path.empty()) {
    return;
  }
  SavedState state;
  state.status = core_.status();
  state.saved_mono_ns = now_ns;
  state.saved_realtime_ns = realtime_now_ns();
  state.boot_id = current_boot_id();
  try {
    save_state_file(path, state);
  } catch (const StateFileError& error) {
    std::string message = fmt::format("state not saved, so a reboot will start from base rates: {}", error.what());
    if (state_save_limiter_.allow(message, steady_now())) {
      log_->error("{}", message);
    }
  }
}

void LiveEstimator::reload() {
  log_->info("SIGHUP: reloading {}", config_.path);
  WanConfig fresh;
  try {
    fresh = load_wan_config(config_.path);
  } catch (const ConfigError& error) {
    log_->error("reload of {} failed, keeping the running configuration: {}", config_.path, error.what());
    return;
  }
  if (fresh.instance != config_.instance) {
    log_->error("reload of {} failed, keeping the running configuration: instance.name changed from \"{}\" to "
                "\"{}\", which needs a restart",
                config_.path, config_.instance, fresh.instance);
    return;
  }
  if (!fresh.estimator.configured) {
    log_->error("reload of {} failed, keeping the running configuration: the [estimator] table is missing",
                config_.path);
    return;
  }
  config_ = std::move(fresh);
  core_.reconfigure(config_.estimator, reflector_count_of(config_));
  log_->info("reloaded {}: {}", config_.path, describe_rates(core_.status()));
}

void LiveEstimator::log_sample_problem(const ProbeSample& sample) {
  std::string message = fmt::format("rejected samples: {}", to_string(core_.last_problem()));
  if (sample_problem_limiter_.allow(message, steady_now())) {
    log_->warn("{} (sample {} from reflector id {}; {} rejected in total, {} similar not logged)", message,
               sample.sample_id, sample.reflector_id, core_.counters().samples_rejected,
               sample_problem_limiter_.suppressed());
  }
}

void LiveEstimator::log_telemetry_problem(std::uint64_t rejected_before) {
  if (core_.counters().telemetry_rejected == rejected_before) {
    return;
  }
  std::string message = "rejected a telemetry reading: time went backwards or a byte counter reset or jumped";
  if (telemetry_problem_limiter_.allow(message, steady_now())) {
    log_->warn("{} ({} rejected in total, {} similar not logged)", message, core_.counters().telemetry_rejected,
               telemetry_problem_limiter_.suppressed());
  }
}

void LiveEstimator::wait_for_input() {
  if (samples_) {
    samples_->wait(kMaxSleep);
  } else {
    std::this_thread::sleep_for(kMaxSleep);
  }
}

int LiveEstimator::run() {
  restore_state();
  log_->info("started: config {}, {} reflectors, decisions {}, status {}, state file {}", config_.path,
             reflector_count_of(config_), decisions_.name(), status_.name(),
             config_.estimator.state_file.empty() ? "none" : config_.estimator.state_file);
  std::int64_t start_ns = monotonic_now_ns();
  last_input_ns_ = start_ns;
  next_state_save_ns_ = start_ns + s_to_ns(config_.estimator.state_save_s);
  publish_status(start_ns);
  service::ready("estimating");

  while (!stop_requested()) {
    // The loop wakes at least every kMaxSleep, so the watchdog stops only
    // when the loop itself is stuck.
    service::watchdog_ping();
    std::int64_t now_ns = monotonic_now_ns();
    if (take_reload_request()) {
      reload();
    }
    if (now_ns >= next_replace_check_ns_) {
      next_replace_check_ns_ = now_ns + kReplaceCheckNs;
      check_inputs_replaced();
    }
    if (!samples_ && now_ns >= next_samples_attach_ns_) {
      try_attach_samples(now_ns);
    }
    if (!telemetry_ && now_ns >= next_telemetry_attach_ns_) {
      try_attach_telemetry(now_ns);
    }

    bool had_input = read_telemetry();
    had_input = read_samples(now_ns) > 0 || had_input;
    now_ns = monotonic_now_ns();
    if (had_input) {
      last_input_ns_ = now_ns;
    } else if (now_ns - last_input_ns_ >= kTickAfterNs) {
      last_input_ns_ = now_ns;
      if (std::optional<RateDecision> decision = core_.on_tick(now_ns)) {
        publish(*decision);
      }
    }

    if (status_dirty_ || now_ns >= next_status_ns_) {
      publish_status(now_ns);
    }
    decisions_.heartbeat(now_ns);
    if (now_ns >= next_state_save_ns_) {
      save_state(now_ns);
    }
    wait_for_input();
  }

  service::stopping("stopping");
  std::int64_t now_ns = monotonic_now_ns();
  publish_status(now_ns);
  save_state(now_ns);
  log_->info("stopped: {} samples used, {} rejected, {} skipped, {} lost; {} decisions", core_.counters().samples_used,
             core_.counters().samples_rejected, core_.counters().samples_skipped, core_.counters().samples_lost,
             core_.counters().decisions);
  return 0;
}

}  // namespace wanctl::estimator

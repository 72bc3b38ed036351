#include "replay.hpp"

#include <fstream>
#include <limits>
#include <optional>

#include "record_fields.hpp"
#include "state_file.hpp"
#include "trace_csv.hpp"

namespace wanctl::estimator {
namespace {

// One input file, read a record ahead so two files can be merged by time.
template <typename Record>
class TraceStream {
 public:
  using Parser = std::string (*)(const ColumnMap&, const std::vector<std::string>&, Record&);

  TraceStream(const std::string& path, const std::vector<std::string>& required, Parser parser, ReplayReport& report,
              std::uint64_t& rows, std::uint64_t& bad_rows)
      : path_(path), file_(path), csv_(file_), columns_({}), parser_(parser), report_(report), rows_(rows),
        bad_rows_(bad_rows) {
    if (!file_) {
      throw ReplayError("cannot open trace " + path + ": no such file or not readable");
    }
    std::vector<std::string> header;
    if (!csv_.next(header)) {
      throw ReplayError("trace " + path + " is empty; expected a header line of field names");
    }
    columns_ = ColumnMap(header);
    for (const std::string& name : required) {
      if (!columns_.has(name)) {
        throw ReplayError("trace " + path + " has no column " + name +
                          "; record it with wanctl-tap INSTANCE OBJECT --format csv");
      }
    }
    advance();
  }

  const std::optional<Record>& head() const { return head_; }

  void advance() {
    head_.reset();
    std::vector<std::string> row;
    while (csv_.next(row)) {
      ++rows_;
      Record record{};
      std::string problem = csv_.unterminated() ? "unterminated quote" : parser_(columns_, row, record);
      if (problem.empty()) {
        head_ = record;
        return;
      }
      ++bad_rows_;
      if (report_.row_errors.size() < kMaxRowErrors) {
        report_.row_errors.push_back(path_ + ":" + std::to_string(csv_.line()) + ": " + problem);
      }
    }
  }

 private:
  std::string path_;
  std::ifstream file_;
  CsvReader csv_;
  ColumnMap columns_;
  Parser parser_;
  ReplayReport& report_;
  std::uint64_t& rows_;
  std::uint64_t& bad_rows_;
  std::optional<Record> head_;
};

// When a sample is fed, relative to telemetry. A sample the estimator will
// reject goes in at once, so that its times cannot reorder the good records.
std::int64_t merge_time_ns(const ProbeSample& sample, int reflector_count, const EstimatorConfig& config) {
  CheckedSample checked;
  if (check_sample(sample, reflector_count, config.clock_step_ms, checked) != SampleProblem::none) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return checked.time_ns;
}

}  // namespace

ReplayReport run_replay(const EstimatorConfig& config, int reflector_count, const ReplayOptions& options,
                        std::ostream& decisions) {
  ReplayReport report;
  Estimator estimator(config, reflector_count);

  TraceStream<ProbeSample> samples(options.samples_path, required_sample_columns(), &parse_probe_sample, report,
                                   report.sample_rows, report.bad_sample_rows);
  std::optional<TraceStream<LinkTelemetry>> telemetry;
  if (!options.telemetry_path.empty()) {
    telemetry.emplace(options.telemetry_path, required_telemetry_columns(), &parse_link_telemetry, report,
                      report.telemetry_rows, report.bad_telemetry_rows);
  }

  auto telemetry_next = [&] {
    if (!telemetry || !telemetry->head()) {
      return false;
    }
    return !samples.head() ||
           telemetry->head()->time_mono_ns <= merge_time_ns(*samples.head(), reflector_count, config);
  };

  if (!options.restore_state_path.empty()) {
    std::optional<SavedState> saved = load_state_file(options.restore_state_path);
    if (!saved) {
      throw ReplayError("state file " + options.restore_state_path + " does not exist");
    }
    std::int64_t first_ns = 0;
    if (telemetry_next()) {
      first_ns = telemetry->head()->time_mono_ns;
    } else if (samples.head()) {
      first_ns = merge_time_ns(*samples.head(), reflector_count, config);
    }
    std::optional<double> age_s = saved_state_age_s(*saved, first_ns, 0, kReplayBootId);
    report.baselines_restored = age_s.has_value() && *age_s <= config.baseline_reset_after_s;
    estimator.restore(saved->status, report.baselines_restored);
    report.restored = true;
  }

  write_csv_header(decisions, record_fields(RateDecision{}));
  for (;;) {
    std::optional<RateDecision> decision;
    if (telemetry_next()) {
      decision = estimator.on_telemetry(*telemetry->head());
      telemetry->advance();
    } else if (samples.head()) {
      decision = estimator.on_sample(*samples.head());
      samples.advance();
    } else {
      break;
    }
    if (decision) {
      write_csv_row(decisions, record_fields(*decision));
      ++report.decisions;
    }
  }

  estimator.counters().samples_rejected += report.bad_sample_rows;
  estimator.counters().telemetry_rejected += report.bad_telemetry_rows;
  report.counters = estimator.counters();
  report.final_status = estimator.status();

  if (!options.save_state_path.empty()) {
    SavedState state;
    state.status = report.final_status;
    state.saved_mono_ns = estimator.now_ns();
    state.boot_id = kReplayBootId;
    save_state_file(options.save_state_path, state);
  }
  return report;
}

}  // namespace wanctl::estimator

// wanctl-tap: attaches read-only to a ring or block of a wanctl instance and
// prints its records. It maps objects read-only, so it can never disturb the
// pipeline it watches.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "block_tap.hpp"
#include "header_fields.hpp"
#include "object_name.hpp"
#include "recorder.hpp"
#include "ring_tap.hpp"
#include "stop_signal.hpp"
#include "tap_options.hpp"

using namespace wanctl;

namespace {

template <ShmRecord T>
int tap_object(const TapOptions& options, const SharedObject& object) {
  const std::string& name = object.name();
  if (object.header().kind == ObjectKind::ring) {
    return RingTap<T>(options, RingReader<T>::observer(name)).run();
  }
  return BlockTap<T>(options, BlockReader<T>::open(name)).run();
}

int tap(const TapOptions& options) {
  std::string name = object_name(options.instance, options.object);
  SharedObject object = SharedObject::open_any_read_only(name);
  if (options.header) {
    RecordPrinter(options.format, stdout).print(header_fields(object));
    return 0;
  }
  switch (object.header().record_type) {
    case RecordType::probe_sample: return tap_object<ProbeSample>(options, object);
    case RecordType::rate_decision: return tap_object<RateDecision>(options, object);
    case RecordType::link_telemetry: return tap_object<LinkTelemetry>(options, object);
    case RecordType::estimator_status: return tap_object<EstimatorStatus>(options, object);
    case RecordType::prober_status: return tap_object<ProberStatus>(options, object);
    case RecordType::steering_status: return tap_object<SteeringStatus>(options, object);
    case RecordType::test_record: return tap_object<TestRecord>(options, object);
  }
  throw ShmError("shared-memory object " + name + " holds an unknown record type");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Print the records of a wanctl instance's ring or block, read-only."};
  TapOptions options;
  std::string format = "text";
  std::string since;
  std::uint64_t count = 0;
  std::string record_dir;
  std::string duration;

  app.add_option("instance", options.instance, "instance name from the WAN config, e.g. wan1")->required();
  app.add_option("object", options.object,
                 "samples, decisions, telemetry, status, prober or steering (any object name works)");
  app.add_option("--format", format, "output format (default text)")->check(CLI::IsMember({"text", "csv", "json"}));
  app.add_flag("-f,--follow", options.follow, "keep printing new records until interrupted");
  app.add_option("-n,--count", count, "print N records (or N stats lines), then exit")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000'000}));
  app.add_option("--since", since, "only records younger than this, e.g. 30s, 500ms, 5m");
  app.add_flag("--header", options.header,
               "print the object's header (producer pid and epoch, heartbeat age, indices) and exit");
  app.add_flag("--stats", options.stats,
               "print per-second record rates, gaps, epoch, heartbeat age and consumer lag");
  app.add_option("--record", record_dir,
                 "write the instance's samples, decisions, telemetry, status and prober objects to CSV files "
                 "in DIR until interrupted; give no object")
      ->option_text("DIR");
  app.add_option("--duration", duration, "with --record, stop after this long, e.g. 60s");
  CLI11_PARSE(app, argc, argv);

  if (record_dir.empty() == options.object.empty()) {
    std::fprintf(stderr, "wanctl-tap: %s\n",
                 record_dir.empty() ? "name an object, e.g. wanctl-tap wan1 samples, or use --record DIR"
                                    : "--record records every object of the instance; give no object name");
    return 2;
  }
  if (!duration.empty() && record_dir.empty()) {
    std::fprintf(stderr, "wanctl-tap: --duration applies to --record only\n");
    return 2;
  }
  if (!record_dir.empty()) {
    options.record_dir = record_dir;
  }
  if (!duration.empty()) {
    options.duration = parse_duration(duration);
    if (!options.duration) {
      std::fprintf(stderr, "wanctl-tap: invalid --duration value '%s'; use a number with ms, s, m or h, e.g. 60s\n",
                   duration.c_str());
      return 2;
    }
  }

  options.format = format == "csv" ? OutputFormat::csv
                   : format == "json" ? OutputFormat::json
                                      : OutputFormat::text;
  if (count > 0) {
    options.count = count;
  }
  if (!since.empty()) {
    options.since = parse_duration(since);
    if (!options.since) {
      std::fprintf(stderr, "wanctl-tap: invalid --since value '%s'; use a number with ms, s, m or h, e.g. 30s\n",
                   since.c_str());
      return 2;
    }
  }

  install_stop_handlers();
  try {
    if (options.record_dir) {
      return record_instance(options);
    }
    return tap(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "wanctl-tap: %s\n", error.what());
    return 1;
  }
}

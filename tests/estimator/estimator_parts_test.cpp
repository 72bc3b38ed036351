// The estimator's parts on their own: baselines, the bufferbloat window, the
// telemetry checks, the state file and the CSV reader.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "baseline.hpp"
#include "bloat_detector.hpp"
#include "estimator.hpp"
#include "load_tracker.hpp"
#include "replay_helpers.hpp"
#include "state_file.hpp"
#include "trace_csv.hpp"

using namespace wanctl;
using namespace wanctl::estimator;
using namespace wanctl::test;

namespace {

constexpr std::int64_t kSecondNs = 1'000'000'000;
const BaselineTiming kTiming{1.0, 0.5, 120.0, 60.0};

LinkTelemetry reading(std::int64_t time_ns, std::uint64_t down_bytes, std::uint64_t up_bytes) {
  LinkTelemetry telemetry{};
  telemetry.time_mono_ns = time_ns;
  telemetry.directions[0].bytes_total = down_bytes;
  telemetry.directions[0].valid = 1;
  telemetry.directions[1].bytes_total = up_bytes;
  telemetry.directions[1].valid = 1;
  return telemetry;
}

}  // namespace

TEST_CASE("baseline starts from the minimum of its first samples") {
  Baseline baseline;
  baseline.update(163'000, 0, true, kTiming);
  baseline.update(161'000, kSecondNs / 4, true, kTiming);
  baseline.update(170'000, kSecondNs / 2, true, kTiming);
  CHECK(baseline.value_us() == 161'000);
  CHECK(baseline.samples() == 3);
}

TEST_CASE("baseline falls fast and rises slowly in seconds") {
  Baseline baseline;
  baseline.update(20'000, 0, true, kTiming);
  std::int64_t t_ns = 2 * kSecondNs;
  baseline.update(20'000, t_ns, true, kTiming);

  // One second of samples 10 ms lower: two fall time constants.
  for (int i = 1; i <= 10; ++i) {
    baseline.update(10'000, t_ns + i * kSecondNs / 10, true, kTiming);
  }
  CHECK(baseline.value_us() == doctest::Approx(10'000 + 10'000 * std::exp(-2.0)).epsilon(0.001));

  // Then 12 s of samples 10 ms higher: a tenth of the rise time constant.
  t_ns += kSecondNs;
  double start_us = baseline.value_us();
  for (int i = 1; i <= 120; ++i) {
    baseline.update(start_us + 10'000, t_ns + i * kSecondNs / 10, true, kTiming);
  }
  CHECK(baseline.value_us() - start_us == doctest::Approx(10'000 * -std::expm1(-0.1)).epsilon(0.001));

  // A frozen baseline does not rise.
  double frozen_us = baseline.value_us();
  baseline.update(frozen_us + 50'000, t_ns + 13 * kSecondNs, false, kTiming);
  CHECK(baseline.value_us() == frozen_us);
}

TEST_CASE("baseline starts anew after a long absence") {
  Baseline baseline;
  baseline.update(20'000, 0, true, kTiming);
  baseline.update(20'000, 5 * kSecondNs, true, kTiming);
  baseline.update(45'000, 70 * kSecondNs, true, kTiming);
  CHECK(baseline.value_us() == 45'000);
  CHECK(baseline.samples() == 1);
  CHECK_FALSE(baseline.is_recent(200 * kSecondNs, 60.0));
}

TEST_CASE("bloat detector needs a share of the window and two reflectors") {
  BloatDetector detector;
  std::int64_t t_ns = 0;
  auto add = [&](std::uint16_t reflector, double delta_us) {
    t_ns += kSecondNs / 20;
    detector.add(t_ns, reflector, delta_us);
    return detector.evaluate(t_ns, 0.25, 30'000, 0.5);
  };

  // Round robin over three reflectors; reflector 1 alone at +100 ms.
  for (int i = 0; i < 30; ++i) {
    auto reflector = static_cast<std::uint16_t>(i % 3);
    CHECK_FALSE(add(reflector, reflector == 1 ? 100'000 : 1'000).bloat);
  }

  for (int i = 0; i < 30; ++i) {
    CHECK_FALSE(add(static_cast<std::uint16_t>(i % 3), 1'000).bloat);
  }

  // All reflectors 60 to 80 ms up: bufferbloat from the third sample on,
  // when 3 of the 5 samples in 0.25 s are above 30 ms.
  CHECK_FALSE(add(0, 60'000).bloat);
  CHECK_FALSE(add(1, 80'000).bloat);
  BloatVerdict verdict = add(2, 70'000);
  CHECK(verdict.bloat);
  CHECK(verdict.samples == 5);
  CHECK(verdict.bloated_samples == 3);
  CHECK(verdict.queue_delta_us == 70'000);

  // Old samples leave the window.
  CHECK_FALSE(detector.evaluate(t_ns + kSecondNs, 0.25, 30'000, 0.5).bloat);
}

TEST_CASE("load tracker checks every telemetry reading") {
  LoadTracker load;
  const std::array<double, 2> max_bps = {200e6, 40e6};
  const double stale_s = 3.0;

  // The first reading is a reference only: counters since boot are no rate.
  auto results = load.add(reading(kSecondNs, 9'000'000'000, 1'000'000), max_bps, stale_s);
  CHECK(results[0] == TelemetryResult::reference);
  CHECK_FALSE(load.achieved_bps(0, kSecondNs, stale_s).has_value());

  results = load.add(reading(2 * kSecondNs, 9'010'000'000, 2'000'000), max_bps, stale_s);
  CHECK(results[0] == TelemetryResult::accepted);
  CHECK(*load.achieved_bps(0, 2 * kSecondNs, stale_s) == doctest::Approx(80e6));
  CHECK(*load.achieved_bps(1, 2 * kSecondNs, stale_s) == doctest::Approx(8e6));

  // An interface reset: the counter starts again from zero.
  results = load.add(reading(3 * kSecondNs, 5'000, 3'000'000), max_bps, stale_s);
  CHECK(results[0] == TelemetryResult::counter_reset);
  CHECK(*load.achieved_bps(0, 3 * kSecondNs, stale_s) == 0.0);

  // A counter that jumps by more than four times the maximum rate.
  results = load.add(reading(4 * kSecondNs, 5'000 + 10'000'000, 3'000'000 + 1'000'000'000), max_bps, stale_s);
  CHECK(results[0] == TelemetryResult::accepted);
  CHECK(results[1] == TelemetryResult::rejected);
  CHECK(*load.achieved_bps(1, 4 * kSecondNs, stale_s) == doctest::Approx(8e6));

  // Time going backwards, a repeated reading, and a reading after a gap.
  CHECK(load.add(reading(3 * kSecondNs, 0, 0), max_bps, stale_s)[0] == TelemetryResult::rejected);
  CHECK(load.add(reading(3 * kSecondNs, 0, 0), max_bps, stale_s)[0] == TelemetryResult::duplicate);
  CHECK(load.add(reading(10 * kSecondNs, 1'000'000, 0), max_bps, stale_s)[0] == TelemetryResult::reference);
  CHECK_FALSE(load.achieved_bps(0, 10 * kSecondNs, stale_s).has_value());

  // The capacity estimate is the peak of the recent rates.
  CHECK(load.add(reading(11 * kSecondNs, 11'000'000, 0), max_bps, stale_s)[0] == TelemetryResult::accepted);
  CHECK(load.add(reading(12 * kSecondNs, 13'500'000, 0), max_bps, stale_s)[0] == TelemetryResult::accepted);
  CHECK(*load.peak_bps(0, 12 * kSecondNs, 1.5) == doctest::Approx(80e6));
  CHECK(*load.peak_bps(0, 12 * kSecondNs, 0.5) == doctest::Approx(20e6));
}

TEST_CASE("state file round trip and corruption") {
  wanctl::test::TempDir dir;
  std::string path = dir.path("wan1.estimator.state");
  CHECK_FALSE(load_state_file(path).has_value());

  SavedState state;
  state.status.decision_id = 4242;
  state.status.directions[0].rate_bps = 81'000'000;
  state.status.directions[0].state = CongestionState::red;
  state.status.reflector_count = 1;
  state.status.reflectors[0].has_baseline = 1;
  state.status.reflectors[0].baseline_rtt_us = 20'500;
  state.saved_mono_ns = 77 * kSecondNs;
  state.saved_realtime_ns = 1'700'000'000 * kSecondNs;
  state.boot_id = "0a1b2c3d-0000-4000-8000-000000000001";
  save_state_file(path, state);

  std::optional<SavedState> loaded = load_state_file(path);
  REQUIRE(loaded.has_value());
  CHECK(loaded->status.decision_id == 4242);
  CHECK(loaded->status.directions[0].rate_bps == 81'000'000);
  CHECK(loaded->status.directions[0].state == CongestionState::red);
  CHECK(loaded->status.reflectors[0].baseline_rtt_us == 20'500);
  CHECK(loaded->boot_id == state.boot_id);

  // Same boot: the age comes from the monotonic clock; another boot: from
  // the wall clock; a wall clock before the save: unknown.
  CHECK(*saved_state_age_s(*loaded, 80 * kSecondNs, 0, state.boot_id) == doctest::Approx(3.0));
  CHECK(*saved_state_age_s(*loaded, 0, state.saved_realtime_ns + 90 * kSecondNs, "other") ==
        doctest::Approx(90.0));
  CHECK_FALSE(saved_state_age_s(*loaded, 0, state.saved_realtime_ns - kSecondNs, "other").has_value());

  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(200);
    file.put('\x55');
  }
  CHECK_THROWS_WITH_AS(load_state_file(path), doctest::Contains("checksum mismatch"), StateFileError);

  std::ofstream(path, std::ios::trunc) << "not a state file";
  CHECK_THROWS_WITH_AS(load_state_file(path), doctest::Contains("is not an estimator state file"), StateFileError);

  CHECK_THROWS_WITH_AS(save_state_file(dir.path("missing/dir/state"), state), doctest::Contains("cannot create"),
                       StateFileError);
}

TEST_CASE("CSV reader handles quotes, empty lines and line numbers") {
  std::istringstream in("a,b,c\n\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",3\n4,5\n\"open");
  CsvReader reader(in);
  std::vector<std::string> fields;

  REQUIRE(reader.next(fields));
  CHECK(fields == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(reader.next(fields));
  CHECK(reader.line() == 3);
  CHECK(fields == std::vector<std::string>{"1", "x,y", "say \"hi\""});
  REQUIRE(reader.next(fields));
  CHECK(reader.line() == 4);
  CHECK(fields == std::vector<std::string>{"2", "two\nlines", "3"});
  REQUIRE(reader.next(fields));
  CHECK(reader.line() == 6);
  CHECK(fields.size() == 2);
  REQUIRE(reader.next(fields));
  CHECK(reader.unterminated());
  CHECK_FALSE(reader.next(fields));

  CHECK(csv_quote("plain") == "plain");
  CHECK(csv_quote("a,\"b\"") == "\"a,\"\"b\"\"\"");
}

TEST_CASE("sample rows round-trip through the tap's CSV fields") {
  ProbeSample sample{};
  sample.sample_id = 12;
  sample.reflector_id = 2;
  sample.reflector_address[0] = 192;
  sample.reflector_address[1] = 0;
  sample.reflector_address[2] = 2;
  sample.reflector_address[3] = 7;
  sample.address_family = 2;
  sample.status = SampleStatus::bad_timestamp;
  sample.method = ProbeMethod::timestamp;
  sample.send_mono_ns = 5'000'000'000;
  sample.recv_mono_ns = 5'021'000'000;
  sample.rtt_ns = 21'000'000;
  sample.owd_up_us = -3'000;
  sample.owd_down_us = 24'000;
  sample.has_owd = 0;
  sample.icmp_sequence = 65535;
  sample.icmp_type = 14;

  std::ostringstream out;
  write_csv_header(out, record_fields(sample));
  write_csv_row(out, record_fields(sample));
  std::istringstream in(out.str());
  CsvReader reader(in);
  std::vector<std::string> header;
  std::vector<std::string> row;
  REQUIRE(reader.next(header));
  REQUIRE(reader.next(row));
  ColumnMap columns(header);

  ProbeSample parsed{};
  CHECK(parse_probe_sample(columns, row, parsed) == "");
  CHECK(std::memcmp(&parsed, &sample, sizeof(sample)) == 0);

  row[columns.has("rtt_ns") ? 7 : 0] = "12abc";
  CHECK(parse_probe_sample(columns, row, parsed) == "rtt_ns = \"12abc\" is not a whole number in the range of the field");
}

TEST_CASE("only sample-driven decisions carry a cause receive time") {
  // GREEN under load: the rate rises at every step, so telemetry readings
  // and samples both trigger decisions.
  TraceSpec spec;
  spec.duration_s = 30.0;
  spec.achieved_mbps = [](double) { return std::array<double, 2>{95.0, 19.0}; };
  Trace trace = make_trace(spec);
  Estimator core(make_config(), static_cast<int>(spec.reflectors.size()));

  int from_telemetry = 0;
  int from_samples = 0;
  std::size_t next_telemetry = 0;
  for (const ProbeSample& sample : trace.samples) {
    while (next_telemetry < trace.telemetry.size() &&
           trace.telemetry[next_telemetry].time_mono_ns <= sample_event_ns(sample)) {
      if (std::optional<RateDecision> decision = core.on_telemetry(trace.telemetry[next_telemetry])) {
        ++from_telemetry;
        CHECK(decision->cause_recv_mono_ns == 0);
      }
      ++next_telemetry;
    }
    if (std::optional<RateDecision> decision = core.on_sample(sample)) {
      ++from_samples;
      if (sample.status == SampleStatus::reply) {
        CHECK(decision->cause_recv_mono_ns == sample.recv_mono_ns);
      }
    }
  }

  CHECK(from_telemetry > 0);
  CHECK(from_samples > 0);
}

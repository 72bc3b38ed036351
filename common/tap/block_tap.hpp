// The tap's loop over a latest-value block: the current record, each new
// version with --follow, or per-second statistics.
#pragma once

#include <chrono>
#include <cstdio>

#include "latest_block.hpp"
#include "mono_time.hpp"
#include "record_fields.hpp"
#include "record_printer.hpp"
#include "stop_signal.hpp"
#include "tap_options.hpp"

namespace wanctl {

template <ShmRecord T>
class BlockTap {
 public:
  static constexpr std::chrono::milliseconds kPoll{200};

  BlockTap(const TapOptions& options, BlockReader<T> reader)
      : options_(options), reader_(std::move(reader)), printer_(options.format, stdout) {}

  int run() {
    epoch_ = reader_.epoch();
    return options_.stats ? run_stats() : run_versions();
  }

 private:
  int run_versions() {
    std::uint64_t printed = 0;
    std::uint64_t last_version = 0;
    if (!options_.follow && reader_.version() == 0) {
      std::fprintf(stderr, "wanctl-tap: %s has no record yet; its producer has not published\n",
                   reader_.object().name().c_str());
      return 0;
    }

    while (!stop_requested() && !(options_.count && printed >= *options_.count)) {
      auto snapshot = reader_.read();
      if (snapshot && snapshot->version != last_version) {
        printer_.print(with_version(*snapshot));
        last_version = snapshot->version;
        ++printed;
      }
      if (!options_.follow) {
        break;
      }
      reader_.wait_newer(last_version, kPoll);
      note_epoch_change();
    }
    return 0;
  }

  int run_stats() {
    std::uint64_t lines = 0;
    std::uint64_t version_before = reader_.version();
    auto next_line = MonoClock::now() + std::chrono::seconds(1);
    while (!stop_requested() && !(options_.count && lines >= *options_.count)) {
      auto now = MonoClock::now();
      if (now >= next_line) {
        std::uint64_t version = reader_.version();
        const ShmHeader& header = reader_.object().header();
        std::int64_t age_ms = (monotonic_now_ns() - header.producer_heartbeat_ns.load()) / 1'000'000;
        std::vector<Field> fields;
        fields.push_back({"versions_per_s", std::to_string(version - version_before), true});
        fields.push_back({"version", std::to_string(version), true});
        fields.push_back({"epoch", std::to_string(reader_.epoch()), true});
        fields.push_back({"producer_pid", std::to_string(header.producer_pid.load()), true});
        fields.push_back({"heartbeat_age_ms", std::to_string(age_ms), true});
        printer_.print(fields);
        version_before = version;
        next_line += std::chrono::seconds(1);
        ++lines;
        continue;
      }
      reader_.wait_newer(reader_.version(), std::min<std::chrono::nanoseconds>(next_line - now, kPoll));
      note_epoch_change();
    }
    return 0;
  }

  std::vector<Field> with_version(const BlockSnapshot<T>& snapshot) const {
    std::vector<Field> fields;
    fields.push_back({"version", std::to_string(snapshot.version), true});
    fields.push_back({"epoch", std::to_string(snapshot.epoch), true});
    std::vector<Field> record = record_fields(snapshot.record);
    fields.insert(fields.end(), record.begin(), record.end());
    return fields;
  }

  void note_epoch_change() {
    std::uint64_t epoch = reader_.epoch();
    if (epoch != epoch_) {
      std::fprintf(stderr, "wanctl-tap: producer of %s restarted: epoch %llu -> %llu\n",
                   reader_.object().name().c_str(), static_cast<unsigned long long>(epoch_),
                   static_cast<unsigned long long>(epoch));
      epoch_ = epoch;
    }
  }

  const TapOptions& options_;
  BlockReader<T> reader_;
  RecordPrinter printer_;
  std::uint64_t epoch_ = 0;
};

}  // namespace wanctl

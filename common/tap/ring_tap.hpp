// The tap's loop over a ring: history, follow, and per-second statistics.
#pragma once

#include <chrono>
#include <cstdio>
#include <thread>

#include "mono_time.hpp"
#include "record_fields.hpp"
#include "record_printer.hpp"
#include "record_time.hpp"
#include "ring.hpp"
#include "stop_signal.hpp"
#include "tap_options.hpp"

namespace wanctl {

// How long a follow loop sleeps at most before it checks for a stop signal,
// a new producer epoch or a recreated object.
inline constexpr std::chrono::milliseconds kTapPoll{200};

template <ShmRecord T>
class RingTap {
 public:
  RingTap(const TapOptions& options, RingReader<T> reader)
      : options_(options), reader_(std::move(reader)), printer_(options.format, stdout) {}

  int run() {
    epoch_ = reader_.epoch();
    return options_.stats ? run_stats() : run_records();
  }

 private:
  int run_records() {
    place_start();
    std::uint64_t printed = 0;
    std::uint64_t end = reader_.head();  // without --follow, stop at the head seen at start

    while (!stop_requested() && !(options_.count && printed >= *options_.count)) {
      if (!options_.follow && reader_.position() >= end) {
        break;
      }
      auto entry = reader_.try_read();
      if (!entry) {
        if (!options_.follow) {
          break;
        }
        reader_.wait(kTapPoll);
        note_producer_changes();
        continue;
      }
      if (!younger_than_since(entry->record)) {
        continue;
      }
      printer_.print(record_fields(entry->record));
      ++printed;
    }
    report_lost();
    return 0;
  }

  // Without --follow the tap shows what the ring holds now: all of it, the
  // last --count records, or those younger than --since. With --follow it
  // starts at the head unless --since asks for history first.
  void place_start() {
    std::uint64_t head = reader_.head();
    if (options_.follow && !options_.since) {
      reader_.seek_to(head);
      return;
    }
    reader_.seek_oldest();
    if (!options_.follow && options_.count && head > *options_.count) {
      reader_.seek_to(head - *options_.count);
    }
  }

  bool younger_than_since(const T& record) const {
    if (!options_.since) {
      return true;
    }
    std::optional<std::int64_t> time_ns = record_time_ns(record);
    return !time_ns || monotonic_now_ns() - *time_ns <= options_.since->count();
  }

  int run_stats() {
    reader_.seek_to(reader_.head());
    std::uint64_t lines = 0;
    auto next_line = MonoClock::now() + std::chrono::seconds(1);
    std::uint64_t records_this_second = 0;
    std::uint64_t lost_before = reader_.lost();

    while (!stop_requested() && !(options_.count && lines >= *options_.count)) {
      while (reader_.try_read()) {
        ++records_this_second;
      }
      auto now = MonoClock::now();
      if (now >= next_line) {
        print_stats_line(records_this_second, reader_.lost() - lost_before);
        records_this_second = 0;
        lost_before = reader_.lost();
        next_line += std::chrono::seconds(1);
        ++lines;
        continue;
      }
      reader_.wait(std::min<std::chrono::nanoseconds>(next_line - now, kTapPoll));
      note_producer_changes();
    }
    return 0;
  }

  void print_stats_line(std::uint64_t records, std::uint64_t gaps) {
    const ShmHeader& header = reader_.object().header();
    std::int64_t now_ns = monotonic_now_ns();
    std::int64_t heartbeat_ns = header.producer_heartbeat_ns.load(std::memory_order_relaxed);
    std::uint64_t head = reader_.head();
    std::uint64_t consumer = header.consumer_index.load(std::memory_order_relaxed);

    std::vector<Field> fields;
    fields.push_back({"records_per_s", std::to_string(records), true});
    fields.push_back({"gaps", std::to_string(gaps), true});
    fields.push_back({"head", std::to_string(head), true});
    fields.push_back({"epoch", std::to_string(reader_.epoch()), true});
    fields.push_back({"producer_pid", std::to_string(header.producer_pid.load()), true});
    fields.push_back({"heartbeat_age_ms", std::to_string((now_ns - heartbeat_ns) / 1'000'000), true});
    fields.push_back({"consumer_index", std::to_string(consumer), true});
    fields.push_back({"consumer_lag", std::to_string(head >= consumer ? head - consumer : 0), true});
    fields.push_back({"consumer_overruns", std::to_string(header.consumer_lost.load()), true});
    printer_.print(fields);
  }

  void note_producer_changes() {
    std::uint64_t epoch = reader_.epoch();
    if (epoch != epoch_) {
      std::fprintf(stderr, "wanctl-tap: producer of %s restarted: epoch %llu -> %llu, pid %llu\n",
                   reader_.object().name().c_str(), static_cast<unsigned long long>(epoch_),
                   static_cast<unsigned long long>(epoch),
                   static_cast<unsigned long long>(reader_.object().header().producer_pid.load()));
      epoch_ = epoch;
    }
    if (reader_.object().replaced_by_name()) {
      reattach();
    }
  }

  // The producer recreated the object (--recreate) or removed it: follow the
  // new object once one exists under the name.
  void reattach() {
    const std::string name = reader_.object().name();
    std::fprintf(stderr, "wanctl-tap: %s was removed or recreated; waiting for it\n", name.c_str());
    while (!stop_requested()) {
      try {
        reader_ = RingReader<T>::observer(name);
        reader_.seek_oldest();
        epoch_ = reader_.epoch();
        std::fprintf(stderr, "wanctl-tap: attached to the new %s, epoch %llu\n", name.c_str(),
                     static_cast<unsigned long long>(epoch_));
        return;
      } catch (const ShmError&) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
  }

  void report_lost() {
    if (reader_.lost() != 0) {
      std::fprintf(stderr, "wanctl-tap: %llu records were overwritten before the tap read them\n",
                   static_cast<unsigned long long>(reader_.lost()));
    }
  }

  const TapOptions& options_;
  RingReader<T> reader_;
  RecordPrinter printer_;
  std::uint64_t epoch_ = 0;
};

}  // namespace wanctl

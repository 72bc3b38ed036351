#include "recorder.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <stdexcept>
#include <thread>

#include "latest_block.hpp"
#include "mono_time.hpp"
#include "object_name.hpp"
#include "record_fields.hpp"
#include "record_printer.hpp"
#include "record_time.hpp"
#include "ring.hpp"
#include "stop_signal.hpp"

namespace wanctl {
namespace {

// Blocks are sampled and rings drained this often. A block version replaced
// within one period is not recorded; the actuator publishes telemetry every
// 100 ms by default, so this keeps every default-rate version.
constexpr std::chrono::milliseconds kRecordPoll{40};

// Missing objects are looked for again this often.
constexpr std::int64_t kAttachRetryNs = 1'000'000'000;

class CsvFile {
 public:
  CsvFile(const std::string& dir, const std::string& name) : path_(dir + "/" + name) {
    file_ = std::fopen(path_.c_str(), "w");
    if (file_ == nullptr) {
      throw std::runtime_error("cannot create " + path_ + ": " + std::strerror(errno));
    }
    printer_ = std::make_unique<RecordPrinter>(OutputFormat::csv, file_);
  }
  ~CsvFile() { std::fclose(file_); }
  CsvFile(const CsvFile&) = delete;
  CsvFile& operator=(const CsvFile&) = delete;

  void write(const std::vector<Field>& fields) {
    printer_->print(fields);
    ++rows_;
  }
  std::uint64_t rows() const { return rows_; }

 private:
  std::string path_;
  std::FILE* file_;
  std::unique_ptr<RecordPrinter> printer_;
  std::uint64_t rows_ = 0;
};

bool is_per_reflector(const std::string& name) {
  return name.rfind("reflector", 0) == 0 && name.size() > 9 && name[9] >= '0' && name[9] <= '9';
}

std::vector<Field> without_reflectors(std::vector<Field> fields) {
  std::erase_if(fields, [](const Field& field) { return is_per_reflector(field.name); });
  return fields;
}

std::vector<Field> snapshot_prefix(std::uint64_t version, std::uint64_t epoch) {
  return {{"version", std::to_string(version), true}, {"epoch", std::to_string(epoch), true}};
}

// Writes one version of a block; the overloads split per-reflector arrays
// into their own long-format files.
struct BlockFiles {
  CsvFile& main;
  CsvFile* detail;  // baselines.csv or reflectors.csv, if the type has one
};

void write_snapshot(BlockFiles& files, const BlockSnapshot<LinkTelemetry>& snapshot) {
  std::vector<Field> fields = snapshot_prefix(snapshot.version, snapshot.epoch);
  std::vector<Field> record = record_fields(snapshot.record);
  fields.insert(fields.end(), record.begin(), record.end());
  files.main.write(fields);
}

void write_snapshot(BlockFiles& files, const BlockSnapshot<EstimatorStatus>& snapshot) {
  const EstimatorStatus& status = snapshot.record;
  std::vector<Field> fields = snapshot_prefix(snapshot.version, snapshot.epoch);
  std::vector<Field> record = without_reflectors(record_fields(status));
  fields.insert(fields.end(), record.begin(), record.end());
  files.main.write(fields);

  std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
  for (std::uint32_t i = 0; i < count; ++i) {
    const ReflectorEstimate& reflector = status.reflectors[i];
    files.detail->write({{"time_mono_ns", std::to_string(status.time_mono_ns), true},
                         {"reflector_id", std::to_string(reflector.reflector_id), true},
                         {"has_baseline", std::to_string(reflector.has_baseline), true},
                         {"has_owd", std::to_string(reflector.has_owd), true},
                         {"baseline_rtt_us", std::to_string(reflector.baseline_rtt_us), true},
                         {"baseline_up_us", std::to_string(reflector.baseline_up_us), true},
                         {"baseline_down_us", std::to_string(reflector.baseline_down_us), true},
                         {"delta_rtt_us", std::to_string(reflector.delta_rtt_us), true},
                         {"delta_up_us", std::to_string(reflector.delta_up_us), true},
                         {"delta_down_us", std::to_string(reflector.delta_down_us), true},
                         {"samples", std::to_string(reflector.samples), true}});
  }
}

void write_snapshot(BlockFiles& files, const BlockSnapshot<ProberStatus>& snapshot) {
  const ProberStatus& status = snapshot.record;
  std::vector<Field> fields = snapshot_prefix(snapshot.version, snapshot.epoch);
  std::vector<Field> record = without_reflectors(record_fields(status));
  fields.insert(fields.end(), record.begin(), record.end());
  files.main.write(fields);

  std::uint32_t count = std::min<std::uint32_t>(status.reflector_count, kMaxReflectors);
  for (std::uint32_t i = 0; i < count; ++i) {
    const ReflectorHealth& reflector = status.reflectors[i];
    files.detail->write({{"time_mono_ns", std::to_string(status.time_mono_ns), true},
                         {"reflector_id", std::to_string(i), true},
                         {"address", format_address(reflector.address, reflector.address_family), false},
                         {"active", std::to_string(reflector.active), true},
                         {"method", std::string(to_string(reflector.method)), false},
                         {"probes_sent", std::to_string(reflector.probes_sent), true},
                         {"replies", std::to_string(reflector.replies), true},
                         {"recent_timeouts", std::to_string(reflector.recent_timeouts), true},
                         {"median_rtt_us", std::to_string(reflector.median_rtt_us), true},
                         {"loss_permille", std::to_string(reflector.loss_permille), true}});
  }
}

template <ShmRecord T>
class RingRecording {
 public:
  RingRecording(const TapOptions& options, CsvFile& file)
      : options_(options), name_(object_name(options.instance, RecordTraits<T>::object)), file_(file) {}

  void poll(std::int64_t now_ns) {
    if (reader_ && reader_->object().replaced_by_name()) {
      std::fprintf(stderr, "wanctl-tap: %s was removed or recreated; waiting for it\n", name_.c_str());
      lost_before_ += reader_->lost();
      reader_.reset();
    }
    if (!reader_ && !attach(now_ns)) {
      return;
    }
    while (std::optional<RingEntry<T>> entry = reader_->try_read()) {
      std::optional<std::int64_t> time_ns = record_time_ns(entry->record);
      if (options_.since && time_ns && now_ns - *time_ns > options_.since->count()) {
        continue;
      }
      file_.write(record_fields(entry->record));
    }
  }

  std::uint64_t lost() const { return lost_before_ + (reader_ ? reader_->lost() : 0); }

 private:
  bool attach(std::int64_t now_ns) {
    if (now_ns < next_attach_ns_) {
      return false;
    }
    next_attach_ns_ = now_ns + kAttachRetryNs;
    try {
      reader_.emplace(RingReader<T>::observer(name_));
    } catch (const ShmError&) {
      return false;
    }
    // The first attach starts at the head unless --since requests history. A
    // reattach after the producer recreated the ring reads all it contains.
    if (options_.since || attached_before_) {
      reader_->seek_oldest();
    }
    attached_before_ = true;
    return true;
  }

  const TapOptions& options_;
  std::string name_;
  CsvFile& file_;
  std::optional<RingReader<T>> reader_;
  std::int64_t next_attach_ns_ = 0;
  bool attached_before_ = false;
  std::uint64_t lost_before_ = 0;  // lost by readers of earlier incarnations of the ring
};

template <ShmRecord T>
class BlockRecording {
 public:
  BlockRecording(const TapOptions& options, BlockFiles files)
      : name_(object_name(options.instance, RecordTraits<T>::object)), files_(files) {}

  void poll(std::int64_t now_ns) {
    if (reader_ && reader_->object().replaced_by_name()) {
      reader_.reset();
      last_version_ = 0;
    }
    if (!reader_) {
      if (now_ns < next_attach_ns_) {
        return;
      }
      next_attach_ns_ = now_ns + kAttachRetryNs;
      try {
        reader_.emplace(BlockReader<T>::open(name_));
      } catch (const ShmError&) {
        return;
      }
    }
    std::optional<BlockSnapshot<T>> snapshot = reader_->read();
    if (snapshot && snapshot->version != last_version_) {
      write_snapshot(files_, *snapshot);
      last_version_ = snapshot->version;
    }
  }

 private:
  std::string name_;
  BlockFiles files_;
  std::optional<BlockReader<T>> reader_;
  std::uint64_t last_version_ = 0;
  std::int64_t next_attach_ns_ = 0;
};

void create_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    throw std::runtime_error("cannot create directory " + dir + ": " + std::strerror(errno));
  }
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
    throw std::runtime_error(dir + " exists and is not a directory; name a directory for the recording");
  }
}

void write_description(const std::string& dir, const TapOptions& options, std::int64_t start_mono_ns) {
  std::string path = dir + "/recording.txt";
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) {
    throw std::runtime_error("cannot create " + path + ": " + std::strerror(errno));
  }
  timespec wall{};
  ::clock_gettime(CLOCK_REALTIME, &wall);
  std::fprintf(file, "instance=%s\nstart_mono_ns=%lld\nstart_unix_s=%lld\n", options.instance.c_str(),
               static_cast<long long>(start_mono_ns), static_cast<long long>(wall.tv_sec));
  std::fclose(file);
}

}  // namespace

int record_instance(const TapOptions& options) {
  const std::string& dir = *options.record_dir;
  create_directory(dir);
  std::int64_t start_ns = monotonic_now_ns();
  write_description(dir, options, start_ns);

  CsvFile samples_file(dir, "samples.csv");
  CsvFile decisions_file(dir, "decisions.csv");
  CsvFile telemetry_file(dir, "telemetry.csv");
  CsvFile status_file(dir, "status.csv");
  CsvFile baselines_file(dir, "baselines.csv");
  CsvFile prober_file(dir, "prober.csv");
  CsvFile reflectors_file(dir, "reflectors.csv");

  RingRecording<ProbeSample> samples(options, samples_file);
  RingRecording<RateDecision> decisions(options, decisions_file);
  BlockRecording<LinkTelemetry> telemetry(options, {telemetry_file, nullptr});
  BlockRecording<EstimatorStatus> status(options, {status_file, &baselines_file});
  BlockRecording<ProberStatus> prober(options, {prober_file, &reflectors_file});
  std::fprintf(stderr, "wanctl-tap: recording instance %s to %s\n", options.instance.c_str(), dir.c_str());

  while (!stop_requested()) {
    std::int64_t now_ns = monotonic_now_ns();
    samples.poll(now_ns);
    decisions.poll(now_ns);
    telemetry.poll(now_ns);
    status.poll(now_ns);
    prober.poll(now_ns);
    if (options.duration && now_ns - start_ns >= options.duration->count()) {
      break;
    }
    std::this_thread::sleep_for(kRecordPoll);
  }

  std::fprintf(stderr,
               "wanctl-tap: recorded %llu samples, %llu decisions, %llu telemetry, %llu status and %llu prober "
               "versions to %s\n",
               static_cast<unsigned long long>(samples_file.rows()),
               static_cast<unsigned long long>(decisions_file.rows()),
               static_cast<unsigned long long>(telemetry_file.rows()),
               static_cast<unsigned long long>(status_file.rows()),
               static_cast<unsigned long long>(prober_file.rows()), dir.c_str());
  std::uint64_t lost = samples.lost() + decisions.lost();
  if (lost != 0) {
    std::fprintf(stderr, "wanctl-tap: %llu ring records were overwritten before the recorder read them\n",
                 static_cast<unsigned long long>(lost));
  }
  return 0;
}

}  // namespace wanctl

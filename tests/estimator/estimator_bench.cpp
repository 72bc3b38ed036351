// Estimator benchmark: CPU time of the core per sample, replay speed of
// wanctl-replay, and CPU time of a live wanctl-estimator process fed at
// 20 probes/s. Figures and the command are in docs/BENCHMARKS.md.
//
// Usage: estimator_bench BUILD_DIR [LIVE_SECONDS]
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config_reader.hpp"
#include "estimator.hpp"
#include "estimator_config.hpp"
#include "live_process.hpp"
#include "synthetic_trace.hpp"

using namespace wanctl;
using namespace wanctl::test;

namespace {

constexpr const char* kConfigText =
    "[instance]\nname = \"bench\"\n"
    "[prober]\nreflectors = [\"192.0.2.1\", \"192.0.2.2\", \"192.0.2.3\", \"192.0.2.4\"]\n"
    "[estimator]\nstate_file = \"\"\n"
    "[estimator.download]\nmin_rate_mbps = 10\nbase_rate_mbps = 100\nmax_rate_mbps = 200\n"
    "[estimator.upload]\nmin_rate_mbps = 2\nbase_rate_mbps = 20\nmax_rate_mbps = 40\n";

double thread_cpu_s() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

EstimatorConfig bench_config() {
  ConfigReader reader = ConfigReader::parse(kConfigText, "bench.toml");
  EstimatorConfig config;
  read_estimator_config(reader, config);
  reader.throw_if_errors();
  return config;
}

// Two hours at 20 probes/s over four reflectors (two of them timestamp),
// with a loaded period and a bloat episode every ten minutes.
Trace bench_trace(double duration_s) {
  TraceSpec spec;
  spec.reflectors = {{20.0}, {25.0, true, 300.0}, {30.0}, {35.0, true, -20.0}};
  spec.duration_s = duration_s;
  spec.jitter_ms = 2.0;
  spec.queue = [](double t_s, int) {
    double minute = std::fmod(t_s, 600.0);
    return minute >= 300.0 && minute < 330.0 ? QueueDelay{5.0, 80.0} : QueueDelay{};
  };
  spec.achieved_mbps = [](double t_s) {
    double minute = std::fmod(t_s, 600.0);
    return minute >= 240.0 && minute < 400.0 ? std::array<double, 2>{90.0, 15.0} : std::array<double, 2>{3.0, 0.5};
  };
  return make_trace(spec);
}

void bench_core(const EstimatorConfig& config, const Trace& trace) {
  constexpr int kRounds = 8;
  std::uint64_t samples = 0;
  std::uint64_t decisions = 0;
  double cpu_s = 0.0;
  for (int round = 0; round < kRounds; ++round) {
    estimator::Estimator core(config, 4);
    std::size_t next_telemetry = 0;
    double start_s = thread_cpu_s();
    for (const ProbeSample& sample : trace.samples) {
      while (next_telemetry < trace.telemetry.size() &&
             trace.telemetry[next_telemetry].time_mono_ns <= sample_event_ns(sample)) {
        decisions += core.on_telemetry(trace.telemetry[next_telemetry++]).has_value() ? 1 : 0;
      }
      decisions += core.on_sample(sample).has_value() ? 1 : 0;
    }
    cpu_s += thread_cpu_s() - start_s;
    samples += trace.samples.size();
  }
  double per_sample_us = cpu_s / static_cast<double>(samples) * 1e6;
  std::printf("core: %llu samples (+%zu telemetry readings each pass), %llu decisions, %.3f s CPU\n",
              static_cast<unsigned long long>(samples), trace.telemetry.size(),
              static_cast<unsigned long long>(decisions), cpu_s);
  std::printf("core: %.3f us CPU per sample (telemetry included); %.3f CPU-s per hour at 20 probes/s\n",
              per_sample_us, per_sample_us * 72'000 / 1e6);
}

void bench_replay(const std::string& build_dir, const Trace& trace, const std::string& directory) {
  std::string config_path = directory + "/bench.toml";
  std::ofstream(config_path) << kConfigText;
  write_samples_csv(trace.samples, directory + "/samples.csv");
  write_telemetry_csv(trace.telemetry, directory + "/telemetry.csv");
  std::string command = build_dir + "/estimator/wanctl-replay --quiet --config " + config_path + " --samples " +
                        directory + "/samples.csv --telemetry " + directory + "/telemetry.csv --output " +
                        directory + "/decisions.csv";

  auto start = std::chrono::steady_clock::now();
  int status = std::system(command.c_str());
  double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  rusage children{};
  ::getrusage(RUSAGE_CHILDREN, &children);
  if (status != 0) {
    std::printf("replay: %s failed with status %d\n", command.c_str(), status);
    return;
  }
  double cpu_s = static_cast<double>(children.ru_utime.tv_sec + children.ru_stime.tv_sec) +
                 static_cast<double>(children.ru_utime.tv_usec + children.ru_stime.tv_usec) / 1e6;
  std::printf("replay: %zu samples + %zu telemetry rows in %.2f s wall, %.2f s CPU: %.0f samples/s\n",
              trace.samples.size(), trace.telemetry.size(), wall_s, cpu_s,
              static_cast<double>(trace.samples.size()) / wall_s);
}

// CPU time of a process in seconds, from the scheduler's nanosecond count in
// /proc/PID/schedstat (the tick counts in /proc/PID/stat are 10 ms coarse).
double process_cpu_s(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/schedstat");
  unsigned long long run_ns = 0;
  file >> run_ns;
  return static_cast<double>(run_ns) / 1e9;
}

void bench_live(const std::string& build_dir, const std::string& directory, double seconds) {
  std::string instance = "bench-" + std::to_string(::getpid());
  std::string config_path = directory + "/live.toml";
  std::string text = kConfigText;
  text.replace(text.find("\"bench\""), 7, "\"" + instance + "\"");
  std::ofstream(config_path) << text;
  {
    SampleFeeder samples(instance);
    TelemetryFeeder telemetry(instance);
    EstimatorProcess process(build_dir + "/estimator/wanctl-estimator", config_path, directory + "/live.log");

    // Warm up for 3 s (attach, restore, first decisions), then measure.
    auto next = std::chrono::steady_clock::now();
    double start_cpu_s = 0.0;
    auto steps = static_cast<int>((seconds + 3.0) * 20.0);
    for (int i = 0; i < steps; ++i) {
      if (i == 60) {
        start_cpu_s = process_cpu_s(process.pid());
      }
      samples.reply(static_cast<std::uint16_t>(i % 4), 20.0 + 5.0 * (i % 4) + 0.1 * (i % 7));
      if (i % 2 == 0) {
        telemetry.publish(60.0, 10.0);
      }
      next += std::chrono::milliseconds(50);
      std::this_thread::sleep_until(next);
    }
    double cpu_s = process_cpu_s(process.pid()) - start_cpu_s;
    std::printf("live: %.0f s at 20 probes/s and 10 telemetry readings/s: %.3f s CPU, %.2f CPU-s per hour\n",
                seconds, cpu_s, cpu_s * 3600.0 / seconds);
    process.signal(SIGTERM);
    process.wait_for(std::chrono::seconds(3));
  }
  for (const char* object : {"samples", "decisions", "telemetry", "status"}) {
    SharedObject::remove(object_name(instance, object));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: estimator_bench BUILD_DIR [LIVE_SECONDS]\n");
    return 2;
  }
  std::string build_dir = argv[1];
  double live_seconds = argc > 2 ? std::atof(argv[2]) : 60.0;

  std::string directory = (std::filesystem::temp_directory_path() / "wanctl-estimator-bench-XXXXXX").string();
  if (::mkdtemp(directory.data()) == nullptr) {
    std::perror("mkdtemp");
    return 1;
  }

  EstimatorConfig config = bench_config();
  Trace trace = bench_trace(7200.0);
  bench_core(config, trace);
  Trace long_trace = bench_trace(50'000.0);
  bench_replay(build_dir, long_trace, directory);
  bench_live(build_dir, directory, live_seconds);

  std::filesystem::remove_all(directory);
  return 0;
}

// A real wanctl-estimator process for the live tests, with its log in a
// file, and the prober's and actuator's ends of the shared-memory objects.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "latest_block.hpp"
#include "mono_time.hpp"
#include "object_name.hpp"
#include "ring.hpp"

namespace wanctl::test {

class EstimatorProcess {
 public:
  // Starts `program --config config_path` with stderr appended to log_path.
  EstimatorProcess(const std::string& program, const std::string& config_path, const std::string& log_path) {
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      if (std::freopen(log_path.c_str(), "a", stderr) == nullptr) {
        ::_exit(126);
      }
      ::execl(program.c_str(), program.c_str(), "--config", config_path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }

  EstimatorProcess(const EstimatorProcess&) = delete;
  EstimatorProcess& operator=(const EstimatorProcess&) = delete;

  ~EstimatorProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  void signal(int number) const { ::kill(pid_, number); }

  pid_t pid() const { return pid_; }

  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

  // Waits for the process to end; its exit status, 128 + signal for a
  // signal, or nothing when it still runs after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

 private:
  pid_t pid_ = -1;
};

// Writes samples into the samples ring as the prober does, with the
// current monotonic time as receive time.
class SampleFeeder {
 public:
  explicit SampleFeeder(const std::string& instance)
      : ring_(RingWriter<ProbeSample>::open(object_name(instance, "samples"), 4096, false)) {}

  // Pushes a reply received now (or `age_ns` ago) and returns its sample id.
  std::uint64_t reply(std::uint16_t reflector, double rtt_ms, std::int64_t age_ns = 0) {
    ProbeSample sample{};
    sample.sample_id = ring_.write_index();
    sample.reflector_id = reflector;
    sample.reflector_address[0] = 192;
    sample.reflector_address[1] = 0;
    sample.reflector_address[2] = 2;
    sample.reflector_address[3] = static_cast<std::uint8_t>(reflector + 1);
    sample.address_family = 2;
    sample.status = SampleStatus::reply;
    sample.method = ProbeMethod::echo;
    sample.rtt_ns = static_cast<std::int64_t>(rtt_ms * 1e6);
    sample.recv_mono_ns = monotonic_now_ns() - age_ns;
    sample.send_mono_ns = sample.recv_mono_ns - sample.rtt_ns;
    last_recv_ns_ = sample.recv_mono_ns;
    return ring_.push(sample);
  }

  std::int64_t last_recv_ns() const { return last_recv_ns_; }

 private:
  RingWriter<ProbeSample> ring_;
  std::int64_t last_recv_ns_ = 0;
};

// Publishes telemetry as the actuator does, with byte counters that grow at
// the given rates.
class TelemetryFeeder {
 public:
  explicit TelemetryFeeder(const std::string& instance)
      : block_(BlockWriter<LinkTelemetry>::open(object_name(instance, "telemetry"), false)) {}

  void publish(double down_mbps, double up_mbps) {
    std::int64_t now_ns = monotonic_now_ns();
    if (last_ns_ != 0) {
      double interval_s = static_cast<double>(now_ns - last_ns_) / 1e9;
      bytes_[0] += static_cast<std::uint64_t>(down_mbps * 1e6 / 8 * interval_s);
      bytes_[1] += static_cast<std::uint64_t>(up_mbps * 1e6 / 8 * interval_s);
    }
    last_ns_ = now_ns;
    LinkTelemetry telemetry{};
    telemetry.time_mono_ns = now_ns;
    for (int d = 0; d < kDirectionCount; ++d) {
      telemetry.directions[d].bytes_total = bytes_[static_cast<std::size_t>(d)];
      telemetry.directions[d].valid = 1;
      telemetry.directions[d].device_state = DeviceState::ok;
    }
    block_.publish(telemetry);
  }

 private:
  BlockWriter<LinkTelemetry> block_;
  std::int64_t last_ns_ = 0;
  std::array<std::uint64_t, kDirectionCount> bytes_{1'000'000'000, 1'000'000};
};

}  // namespace wanctl::test

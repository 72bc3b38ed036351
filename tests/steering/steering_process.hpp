// Running wanctl-steering as a process in tests: a thread that publishes
// two WANs' blocks, the files of one site, and waiting for conditions.
#pragma once

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "process.hpp"
#include "run_command.hpp"
#include "steering_harness.hpp"

namespace wanctl::test {

using namespace std::chrono_literals;

inline std::string steering_program() { return program_path("WANCTL_STEERING"); }
inline std::string tap_program() { return program_path("WANCTL_TAP"); }

// Publishes both WANs ten times a second from a thread, as their estimators
// and actuators would.
class WanFeed {
 public:
  WanFeed() : primary_(unique_instance("wan-a")), alternate_(unique_instance("wan-b")) {
    primary_.publish(healthy(), monotonic_now_ns());
    alternate_.publish(healthy(), monotonic_now_ns());
    thread_ = std::thread([this] { loop(); });
  }
  ~WanFeed() {
    stop_ = true;
    thread_.join();
  }

  void set_primary_congested(bool congested) { primary_congested_ = congested; }
  const std::string& primary() const { return primary_.instance(); }
  const std::string& alternate() const { return alternate_.instance(); }

 private:
  void loop() {
    std::uint64_t tick = 0;
    while (!stop_) {
      ++tick;
      std::int64_t now_ns = monotonic_now_ns();
      primary_.publish(primary_congested_ ? congested(tick) : healthy(), now_ns);
      alternate_.publish(healthy(), now_ns);
      std::this_thread::sleep_for(100ms);
    }
  }

  WanBlocks primary_;
  WanBlocks alternate_;
  std::atomic<bool> primary_congested_{false};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct SiteFiles {
  std::string site = unique_instance("site");
  std::string stem = "/tmp/wanctl-steering-process-" + site;
  std::string config = stem + ".toml";
  std::string history = stem + ".history.json";
  std::string log = stem + ".log";
  ObjectCleanup status_cleanup{object_name(site, "steering")};

  ~SiteFiles() {
    for (const std::string& path : {config, history, log}) {
      std::remove(path.c_str());
    }
  }

  // Writes a config with activation 1 s and the given recovery time;
  // `action` is the [action.*] table of the action kind.
  void write_config(const WanFeed& feed, int recovery_s, const std::string& kind, const std::string& action) const {
    std::ofstream(config) << "[site]\nname = \"" << site << "\"\nprimary = \"" << feed.primary()
                          << "\"\nalternate = \"" << feed.alternate() << "\"\n\n[steering]\nactivation_s = 1\n"
                          << "recovery_s = " << recovery_s << "\nhistory_file = \"" << history << "\"\n"
                          << "\n[action]\nkind = \"" << kind << "\"\nverify_interval_s = 1\n\n" << action;
  }
};

inline ChildProcess start_steering(const SiteFiles& files) {
  return ChildProcess::start(
      {"/bin/sh", "-c", "exec " + steering_program() + " --config " + files.config + " 2>>" + files.log});
}

// Waits until `condition` holds; returns the time it took or nothing.
template <typename Condition>
std::optional<double> wait_until(Condition condition, std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < timeout) {
    if (condition()) {
      return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

inline std::string tap_json(const SiteFiles& files) {
  return run_command(tap_program() + " " + files.site + " steering --format json").out;
}

// True once this process publishes its status and has read the device. A
// status block left by an earlier process has another producer pid.
inline bool started(const SiteFiles& files, const ChildProcess& steering) {
  try {
    auto reader = BlockReader<SteeringStatus>::open(object_name(files.site, "steering"));
    auto snapshot = reader.read();
    return snapshot && reader.object().header().producer_pid.load() == static_cast<std::uint64_t>(steering.pid()) &&
           std::string(snapshot->record.hold_reason).rfind("reading the device", 0) != 0;
  } catch (const ShmError&) {
    return false;
  }
}

}  // namespace wanctl::test

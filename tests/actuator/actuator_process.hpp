// Running the wanctl-actuator binary in tests: a WAN file, the process with
// its log, and polling for a condition.
#pragma once

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"

namespace wanctl::test {

// Writes a WAN file with the given [actuator] tables (and the [prober] table
// every WAN file needs) and removes it afterwards.
struct ActuatorConfigFile {
  ActuatorConfigFile(const std::string& instance, const std::string& actuator_tables)
      : path("/tmp/wanctl-actuator-test-" + instance + ".toml") {
    std::ofstream file(path);
    file << "[instance]\nname = \"" << instance << "\"\n\n[prober]\nreflectors = [\"192.0.2.1\"]\n\n"
         << actuator_tables;
  }
  ~ActuatorConfigFile() { std::remove(path.c_str()); }
  ActuatorConfigFile(const ActuatorConfigFile&) = delete;
  ActuatorConfigFile& operator=(const ActuatorConfigFile&) = delete;

  std::string path;
};

// Starts the actuator with its log (stderr) in `log_path`.
inline ChildProcess start_actuator(const std::string& binary, const std::vector<std::string>& arguments,
                                   const std::string& log_path) {
  std::vector<std::string> argv = {"/bin/sh", "-c", "exec \"$0\" \"$@\" 2>&1", binary};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return ChildProcess::start(argv, log_path);
}

template <typename Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace wanctl::test

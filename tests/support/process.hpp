// Starting, signalling and reaping real child processes in tests.
#pragma once

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace wanctl::test {

class ChildProcess {
 public:
  // Starts `argv` with stdout redirected to stdout_path (or inherited).
  static ChildProcess start(const std::vector<std::string>& argv, const std::string& stdout_path = "") {
    std::fflush(nullptr);  // or the child would repeat buffered output
    pid_t pid = ::fork();
    if (pid == 0) {
      if (!stdout_path.empty()) {
        FILE* out = std::freopen(stdout_path.c_str(), "w", stdout);
        (void)out;
      }
      std::vector<char*> args;
      for (const std::string& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
      }
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    return ChildProcess(pid);
  }

  ChildProcess(ChildProcess&& other) noexcept : pid_(other.pid_) { other.pid_ = -1; }
  ChildProcess& operator=(ChildProcess&& other) noexcept {
    std::swap(pid_, other.pid_);
    return *this;
  }
  ChildProcess(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  pid_t pid() const { return pid_; }

  void kill(int signal) { ::kill(pid_, signal); }

  // Waits for the process to end; returns its exit status, 128 + signal for a
  // signal, or nothing when it is still running after `timeout`.
  std::optional<int> wait_for(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return std::nullopt;
  }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
};

}  // namespace wanctl::test

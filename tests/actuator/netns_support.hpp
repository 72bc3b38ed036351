// Helpers for tests that need a network namespace of their own: the test
// process moves into a fresh one, so every interface and qdisc it creates
// disappears with it and no traffic can reach a real network.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "run_command.hpp"

namespace wanctl::test {

// Moves the calling process (and every child it starts later) into a new,
// empty network namespace; returns an error message, empty on success.
inline std::string enter_new_network_namespace() {
  if (::geteuid() != 0) {
    return "needs root to create a network namespace";
  }
  if (::unshare(CLONE_NEWNET) != 0) {
    return std::string("unshare(CLONE_NEWNET) failed: ") + std::strerror(errno);
  }
  run_command("ip link set lo up");
  return {};
}

// Moves the calling thread into the named namespace (/run/netns/NAME) for
// the guard's lifetime; children started meanwhile are born in it.
class NamespaceGuard {
 public:
  explicit NamespaceGuard(const std::string& name) : original_(::open("/proc/self/ns/net", O_RDONLY)) {
    int target = ::open(("/run/netns/" + name).c_str(), O_RDONLY);
    entered_ = target >= 0 && ::setns(target, CLONE_NEWNET) == 0;
    if (target >= 0) {
      ::close(target);
    }
  }
  ~NamespaceGuard() {
    if (entered_) {
      ::setns(original_, CLONE_NEWNET);
    }
    ::close(original_);
  }
  NamespaceGuard(const NamespaceGuard&) = delete;
  NamespaceGuard& operator=(const NamespaceGuard&) = delete;

  bool entered() const { return entered_; }

 private:
  int original_;
  bool entered_ = false;
};

// Runs a shell command and returns its output; a failure is reported with
// the command and its error output.
inline CommandResult shell(const std::string& command) {
  CommandResult result = run_command(command);
  if (result.status != 0) {
    std::fprintf(stderr, "command failed (%d): %s\n%s", result.status, command.c_str(), result.err.c_str());
  }
  return result;
}

}  // namespace wanctl::test

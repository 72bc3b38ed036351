// Network namespaces for the prober's integration tests, and the real
// wanctl-prober running in one of them.
//
// Each test builds two namespaces of its own on the host, joined by a veth
// pair: "p" runs the prober, "r" has the reflector addresses on its
// loopback, and its kernel replies to them. Every address lives inside these
// namespaces (TEST-NET and 2001:db8::/32), so no probe can leave the host.
// The namespaces are deleted when the test ends, when the test binary is
// killed by SIGTERM or SIGINT, and at the next start if a crashed run left
// them behind.
#pragma once

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "latest_block.hpp"
#include "object_name.hpp"
#include "records.hpp"
#include "ring.hpp"
#include "run_command.hpp"
#include "shared_object.hpp"

namespace wanctl::test {

inline constexpr const char* kNamespacePrefix = "wpr-";

// Addresses of the test network.
inline constexpr const char* kProberAddress = "192.0.2.1";
inline constexpr const char* kRouterAddress = "192.0.2.2";
inline constexpr const char* kProberInterface = "wp0";
inline constexpr int kReflectorCount = 10;  // 203.0.113.10 to 203.0.113.19 on r's loopback

inline std::string reflector_v4(int index) { return "203.0.113." + std::to_string(10 + index); }
inline std::string reflector_v6(int index) { return "2001:db8:2::" + std::to_string(10 + index); }

// Runs a command; throws with its error output when it fails.
inline std::string must(const std::string& command) {
  CommandResult result = run_command(command);
  if (result.status != 0) {
    throw std::runtime_error("command failed (" + std::to_string(result.status) + "): " + command + "\n" +
                             result.err);
  }
  return result.out;
}

// Namespace names to delete if the process gets SIGTERM or SIGINT, kept in
// fixed arrays so that the signal handler needs no allocation.
struct NamespaceRegistry {
  static constexpr int kSlots = 8;
  static inline char names[kSlots][64];

  static void add(const std::string& name) {
    for (auto& slot : names) {
      if (slot[0] == '\0') {
        std::snprintf(slot, sizeof(slot), "%s", name.c_str());
        return;
      }
    }
  }

  static void remove(const std::string& name) {
    for (auto& slot : names) {
      if (name == slot) {
        slot[0] = '\0';
      }
    }
  }

  // Deletes every registered namespace with fork and exec only, which are
  // safe in a signal handler.
  static void delete_all_from_signal() {
    for (auto& slot : names) {
      if (slot[0] == '\0') {
        continue;
      }
      pid_t pid = ::fork();
      if (pid == 0) {
        char ip[] = "/usr/sbin/ip";
        char netns[] = "netns";
        char del[] = "del";
        char* argv[] = {ip, netns, del, slot, nullptr};
        ::execv(ip, argv);
        ::_exit(127);
      }
      if (pid > 0) {
        ::waitpid(pid, nullptr, 0);
      }
    }
  }
};

// Deletes namespaces of this prefix whose creating process no longer exists.
inline void delete_stale_namespaces() {
  DIR* directory = ::opendir("/run/netns");
  if (directory == nullptr) {
    return;
  }
  std::vector<std::string> stale;
  while (dirent* entry = ::readdir(directory)) {
    std::string name = entry->d_name;
    if (name.rfind(kNamespacePrefix, 0) != 0) {
      continue;
    }
    int pid = std::atoi(name.c_str() + std::strlen(kNamespacePrefix));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      stale.push_back(name);
    }
  }
  ::closedir(directory);
  for (const std::string& name : stale) {
    run_command("ip netns del " + name);
  }
}

// Polls `condition` every 20 ms until it is true or the timeout passes.
inline bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

class TestNetwork {
 public:
  TestNetwork() {
    static int counter = 0;
    std::string stem = kNamespacePrefix + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    prober_ns_ = stem + "-p";
    reflector_ns_ = stem + "-r";
    NamespaceRegistry::add(prober_ns_);
    NamespaceRegistry::add(reflector_ns_);
    try {
      must("ip netns add " + prober_ns_);
      must("ip netns add " + reflector_ns_);
      must(in_prober("ip link set lo up"));
      must(in_reflector("ip link set lo up"));
      // Without duplicate address detection IPv6 works at once: otherwise
      // neighbour discovery waits about a second for the link-local address.
      for (const std::string& name : {prober_ns_, reflector_ns_}) {
        must("ip netns exec " + name + " sysctl -qw net.ipv6.conf.all.accept_dad=0");
        must("ip netns exec " + name + " sysctl -qw net.ipv6.conf.default.accept_dad=0");
      }
      for (int i = 0; i < kReflectorCount; ++i) {
        must(in_reflector("ip addr add " + reflector_v4(i) + "/32 dev lo"));
        must(in_reflector("ip addr add " + reflector_v6(i) + "/128 dev lo"));
      }
      // r routes for the tests that need ICMP errors from a router; its
      // error rate limits are off so that every probe gets one.
      must(in_reflector("sysctl -qw net.ipv4.ip_forward=1"));
      must(in_reflector("sysctl -qw net.ipv4.icmp_ratelimit=0"));
      must(in_reflector("sysctl -qw net.ipv4.icmp_msgs_per_sec=100000"));
      must(in_reflector("sysctl -qw net.ipv6.icmp.ratelimit=0"));
      connect();
    } catch (...) {
      remove();
      throw;
    }
  }

  ~TestNetwork() { remove(); }
  TestNetwork(const TestNetwork&) = delete;
  TestNetwork& operator=(const TestNetwork&) = delete;

  const std::string& prober_ns() const { return prober_ns_; }
  const std::string& reflector_ns() const { return reflector_ns_; }
  std::string in_prober(const std::string& command) const { return "ip netns exec " + prober_ns_ + " " + command; }
  std::string in_reflector(const std::string& command) const {
    return "ip netns exec " + reflector_ns_ + " " + command;
  }

  // Creates the veth pair with its addresses and the routes to the reflectors.
  void connect() const {
    must("ip link add " + std::string(kProberInterface) + " netns " + prober_ns_ + " type veth peer name wr0 netns " +
         reflector_ns_);
    must(in_prober("ip addr add " + std::string(kProberAddress) + "/24 dev wp0"));
    must(in_reflector("ip addr add " + std::string(kRouterAddress) + "/24 dev wr0"));
    must(in_prober("ip addr add 2001:db8:1::1/64 dev wp0 nodad"));
    must(in_reflector("ip addr add 2001:db8:1::2/64 dev wr0 nodad"));
    must(in_prober("ip link set wp0 up"));
    must(in_reflector("ip link set wr0 up"));
    must(in_prober("ip route add 203.0.113.0/24 via " + std::string(kRouterAddress)));
    must(in_prober("ip -6 route add 2001:db8:2::/64 via 2001:db8:1::2"));
    // The first IPv6 neighbour resolution over a new veth takes about a
    // second; resolve once here so that the tests measure the prober.
    must(in_prober("ping -6 -c 1 -W 5 -q " + reflector_v6(0)));
  }

  // Deletes the veth pair, as a WAN restart or PPPoE redial would.
  void disconnect() const { must(in_prober("ip link del wp0")); }

 private:
  void remove() {
    run_command("ip netns del " + prober_ns_);
    run_command("ip netns del " + reflector_ns_);
    NamespaceRegistry::remove(prober_ns_);
    NamespaceRegistry::remove(reflector_ns_);
  }

  std::string prober_ns_;
  std::string reflector_ns_;
};

// A process started with stderr (and stdout) going to a file; killed and
// reaped when the object goes away.
class LoggedProcess {
 public:
  LoggedProcess(const std::vector<std::string>& argv, const std::string& log_path) : log_path_(log_path) {
    std::fflush(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* log = std::freopen(log_path.c_str(), "w", stderr);
      if (log != nullptr) {
        ::dup2(::fileno(stderr), STDOUT_FILENO);
      }
      std::vector<char*> args;
      for (const std::string& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
      }
      args.push_back(nullptr);
      ::execvp(args[0], args.data());
      ::_exit(127);
    }
  }

  ~LoggedProcess() {
    if (pid_ > 0) {
      stop(std::chrono::milliseconds(3000));
    }
    std::remove(log_path_.c_str());
  }
  LoggedProcess(const LoggedProcess&) = delete;
  LoggedProcess& operator=(const LoggedProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    if (pid_ <= 0) {
      return false;
    }
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      pid_ = -1;
      return false;
    }
    return true;
  }
  void signal(int number) const {
    if (pid_ > 0) {
      ::kill(pid_, number);
    }
  }

  // Sends SIGTERM, waits up to `timeout`, then SIGKILL; returns the exit status.
  int stop(std::chrono::milliseconds timeout) {
    signal(SIGTERM);
    return wait(timeout);
  }

  // Waits for the process to exit by itself; SIGKILL after the timeout.
  int wait(std::chrono::milliseconds timeout) {
    if (!wait_until([this] { return !running(); }, timeout)) {
      signal(SIGKILL);
      wait_until([this] { return !running(); }, std::chrono::milliseconds(2000));
    }
    return exit_status_;
  }

  std::string log() const { return read_file(log_path_); }

 private:
  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::string log_path_;
};

// How to start a prober beyond its [prober] table.
struct ProberLaunch {
  std::vector<std::string> wrapper;    // put before the binary, e.g. setpriv
  std::vector<std::string> arguments;  // after --config FILE
  std::string instance;                // empty: a fresh unique name
};

// wanctl-prober started in the prober namespace with a config of its own.
class ProberProcess {
 public:
  // prober_table contains the keys of the [prober] table.
  ProberProcess(const TestNetwork& network, const std::string& prober_table, const ProberLaunch& launch = {})
      : instance_(launch.instance.empty() ? unique_instance() : launch.instance),
        config_path_("/tmp/" + instance_ + ".toml"),
        samples_name_(object_name(instance_, "samples")),
        status_name_(object_name(instance_, "prober")) {
    std::ofstream config(config_path_);
    config << "[instance]\nname = \"" << instance_ << "\"\n\n[prober]\n" << prober_table;
    config.close();

    std::vector<std::string> argv = {"ip", "netns", "exec", network.prober_ns()};
    argv.insert(argv.end(), launch.wrapper.begin(), launch.wrapper.end());
    argv.push_back(binary());
    argv.push_back("--config");
    argv.push_back(config_path_);
    argv.insert(argv.end(), launch.arguments.begin(), launch.arguments.end());
    process_.emplace(argv, "/tmp/" + instance_ + ".log");
  }

  ~ProberProcess() {
    process_.reset();
    SharedObject::remove(samples_name_);
    SharedObject::remove(status_name_);
    std::remove(config_path_.c_str());
  }
  ProberProcess(const ProberProcess&) = delete;
  ProberProcess& operator=(const ProberProcess&) = delete;

  static std::string binary() {
    std::string path = program_path("WANCTL_PROBER");
    return path.empty() ? "wanctl-prober" : path;
  }

  const std::string& instance() const { return instance_; }
  LoggedProcess& process() { return *process_; }
  std::string log() const { return process_->log(); }

  // Waits until the status block exists and was published.
  bool wait_started(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
    return wait_until([this] { return status().has_value(); }, timeout);
  }

  std::optional<BlockSnapshot<ProberStatus>> snapshot() const {
    try {
      return BlockReader<ProberStatus>::open(status_name_).read();
    } catch (const ShmError&) {
      return std::nullopt;
    }
  }

  std::optional<ProberStatus> status() const {
    auto current = snapshot();
    if (!current) {
      return std::nullopt;
    }
    return current->record;
  }

  // Every sample still in the ring, oldest first, with its ring index.
  std::vector<RingEntry<ProbeSample>> samples() const {
    std::vector<RingEntry<ProbeSample>> entries;
    try {
      auto reader = RingReader<ProbeSample>::observer(samples_name_);
      reader.seek_oldest();
      while (auto entry = reader.try_read()) {
        entries.push_back(*entry);
      }
    } catch (const ShmError&) {
    }
    return entries;
  }

  bool wait_for_samples(std::size_t count, std::chrono::milliseconds timeout) {
    return wait_until([&] { return samples().size() >= count; }, timeout);
  }

  static std::string unique_instance() {
    static int counter = 0;
    return "wpr" + std::to_string(::getpid()) + "x" + std::to_string(counter++);
  }

 private:
  std::string instance_;
  std::string config_path_;
  std::string samples_name_;
  std::string status_name_;
  std::optional<LoggedProcess> process_;
};

// Reads one "Name:\tvalue" line of /proc/<pid>/status.
inline std::string proc_status_field(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::string value = line.substr(field.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return "";
}

}  // namespace wanctl::test

// Runs tests/routeros/routeros_emulator.py as a child process on a free
// loopback port and talks to its control endpoints.
#pragma once

#include <curl/curl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "process.hpp"
#include "run_command.hpp"

namespace wanctl::test {

// Test certificates made once per test process by make_test_certs.sh.
struct TestCertificates {
  std::string directory;
  std::string ca_file() const { return directory + "/ca.pem"; }
  std::string other_ca_file() const { return directory + "/other-ca.pem"; }
  std::string cert_file() const { return directory + "/server.pem"; }
  std::string key_file() const { return directory + "/server.key"; }
  std::string fingerprint() const {
    std::string text = read_file(directory + "/server.sha256");
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
      text.pop_back();
    }
    return text;
  }

  static const TestCertificates& get() {
    static TestCertificates certificates = make();
    return certificates;
  }

  ~TestCertificates() {
    if (!directory.empty()) {
      run_command("rm -rf " + directory);
    }
  }

 private:
  static TestCertificates make() {
    TestCertificates certificates;
    certificates.directory = "/tmp/wanctl-test-certs-" + std::to_string(::getpid());
    CommandResult result = run_command(program_path("WANCTL_MAKE_TEST_CERTS") + " " + certificates.directory);
    if (result.status != 0) {
      throw std::runtime_error("make_test_certs.sh failed: " + result.err);
    }
    return certificates;
  }
};

class RouterOsEmulator {
 public:
  struct Options {
    Options(bool tls_on, std::string state, std::string router_password = "test-password",
            std::vector<std::string> extra = {})
        : tls(tls_on), state_json(std::move(state)), password(std::move(router_password)),
          extra_arguments(std::move(extra)) {}

    bool tls;
    std::string state_json;                    // {menu: [objects]}
    std::string password;
    std::vector<std::string> extra_arguments;  // e.g. {"--tc-map", "wan1-down=r-lan"}
  };

  explicit RouterOsEmulator(const Options& options)
      : stem_("/tmp/wanctl-emulator-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++)),
        process_(start(options, stem_)) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      std::string output = read_file(stem_ + ".out");
      std::size_t at = output.find("listening on ");
      if (at != std::string::npos && output.find('\n', at) != std::string::npos) {
        url_ = output.substr(at + 13, output.find('\n', at) - at - 13);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (url_.empty()) {
      throw std::runtime_error("the RouterOS emulator did not start: " + read_file(stem_ + ".out"));
    }
    control_ = curl_easy_init();
  }

  ~RouterOsEmulator() {
    curl_easy_cleanup(control_);
    process_.kill(SIGTERM);
    process_.wait_for(std::chrono::milliseconds(2000));
    for (const char* suffix : {".out", ".state.json", ".password"}) {
      std::remove((stem_ + suffix).c_str());
    }
  }

  const std::string& url() const { return url_; }

  nlohmann::json fault(const nlohmann::json& spec) { return call("POST", "/emulator/faults", spec.dump()); }
  nlohmann::json log() { return call("GET", "/emulator/log", ""); }
  void clear_log() { call("POST", "/emulator/log/clear", ""); }
  nlohmann::json state() { return call("GET", "/emulator/state", ""); }

  // Requests in the log with this method (and path prefix).
  std::vector<nlohmann::json> requests(const std::string& method, const std::string& path_prefix = "") {
    std::vector<nlohmann::json> found;
    for (const nlohmann::json& entry : log()) {
      if (entry["method"] == method && entry["path"].get<std::string>().rfind(path_prefix, 0) == 0) {
        found.push_back(entry);
      }
    }
    return found;
  }

  nlohmann::json find(const std::string& menu, const std::string& name) {
    nlohmann::json current = state();
    for (const nlohmann::json& item : current[menu]) {
      if (item.value("name", "") == name || item.value("comment", "") == name) {
        return item;
      }
    }
    return nullptr;
  }

 private:
  static int& counter() {
    static int value = 0;
    return value;
  }

  static ChildProcess start(const Options& options, const std::string& stem) {
    std::ofstream(stem + ".state.json") << options.state_json;
    std::ofstream(stem + ".password") << options.password << "\n";
    std::vector<std::string> argv = {"/usr/bin/python3", program_path("WANCTL_ROUTEROS_EMULATOR"), "--state",
                                     stem + ".state.json", "--password-file", stem + ".password"};
    if (options.tls) {
      const TestCertificates& certificates = TestCertificates::get();
      argv.insert(argv.end(), {"--cert", certificates.cert_file(), "--key", certificates.key_file()});
    }
    argv.insert(argv.end(), options.extra_arguments.begin(), options.extra_arguments.end());
    return ChildProcess::start(argv, stem + ".out");
  }

  static std::size_t collect(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
  }

  nlohmann::json call(const char* method, const std::string& path, const std::string& body) {
    std::string response;
    std::string target = url_ + path;
    curl_easy_reset(control_);
    curl_easy_setopt(control_, CURLOPT_URL, target.c_str());
    curl_easy_setopt(control_, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(control_, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(control_, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(control_, CURLOPT_TIMEOUT_MS, 5000L);
    // The test's own control channel to its own emulator; the actuator's
    // session is what the TLS tests check.
    curl_easy_setopt(control_, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(control_, CURLOPT_SSL_VERIFYHOST, 0L);
    if (std::string(method) == "POST") {
      curl_easy_setopt(control_, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(control_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    CURLcode code = curl_easy_perform(control_);
    if (code != CURLE_OK) {
      throw std::runtime_error("emulator control request " + path + " failed: " + curl_easy_strerror(code));
    }
    return nlohmann::json::parse(response);
  }

  std::string stem_;
  ChildProcess process_;
  std::string url_;
  CURL* control_ = nullptr;
};

// The router most tests start with.
inline const char* kRouterState = R"({
  "queue/tree": [
    {"name": "wan1-down", "parent": "bridge", "max-limit": "0", "traffic-bps": 8000000},
    {"name": "wan1-up", "parent": "ether1", "max-limit": "20M"}
  ],
  "queue/simple": [{"name": "wan2", "target": "ether2", "max-limit": "10000000/50000000"}],
  "queue/type": [{"name": "cake-down", "kind": "cake", "cake-bandwidth": "100M"},
                 {"name": "pfifo-big", "kind": "pfifo"}],
  "ip/firewall/mangle": [{"chain": "prerouting", "action": "mark-routing", "new-routing-mark": "via-wan2",
                          "comment": "wanctl-steer", "disabled": "true"}]
})";

}  // namespace wanctl::test

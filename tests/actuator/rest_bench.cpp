// Time to write one queue's max-limit over the RouterOS REST API against the
// emulated router, from the call to the router's response, on one keep-alive
// session over HTTP and over HTTPS with certificate verification.
//
//   actuator_rest_bench [COUNT]
// needs WANCTL_ROUTEROS_EMULATOR and WANCTL_MAKE_TEST_CERTS, as the tests.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "latency_stats.hpp"
#include "routeros_emulator_process.hpp"
#include "routeros_shaper.hpp"

using namespace wanctl;

namespace {

int measure(bool tls, int count) {
  test::RouterOsEmulator router({tls, test::kRouterState, "test-password"});
  ::setenv("WANCTL_BENCH_ROUTER_PASSWORD", "test-password", 1);
  ActuatorConfig config;
  config.backend = ActuatorBackend::routeros;
  config.routeros.url = router.url();
  config.routeros.user = "wanctl";
  config.routeros.password_env = "WANCTL_BENCH_ROUTER_PASSWORD";
  if (tls) {
    config.routeros.ca_file = test::TestCertificates::get().ca_file();
  }
  config.directions[0] = ActuatorTarget{"", "", "wan1-up", RouterQueueKind::tree, ""};
  RouterOsShaper shaper(config);

  std::vector<double> write_ns;
  for (int i = 0; i < count; ++i) {
    std::uint64_t rate_bps = 10'000'000 + static_cast<std::uint64_t>(i) * 1000;
    auto start = std::chrono::steady_clock::now();
    ShaperWrite write = shaper.write_rate(Direction::download, rate_bps);
    auto done = std::chrono::steady_clock::now();
    if (write.status != ShaperStatus::ok) {
      std::fprintf(stderr, "failed: %s\n", write.error.c_str());
      return 1;
    }
    if (i >= count / 10) {
      write_ns.push_back(std::chrono::duration<double, std::nano>(done - start).count());
    }
  }
  test::print_latency(tls ? "REST PATCH max-limit over HTTPS (keep-alive)" : "REST PATCH max-limit over HTTP (keep-alive)",
                      write_ns);
  std::printf("connections used: %zu\n", [&] {
    std::vector<int> seen;
    for (const auto& entry : router.log()) {
      int connection = entry["connection"];
      if (std::find(seen.begin(), seen.end(), connection) == seen.end()) {
        seen.push_back(connection);
      }
    }
    return seen.size();
  }());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int count = argc > 1 ? std::atoi(argv[1]) : 1000;
  int status = measure(false, count);
  return status != 0 ? status : measure(true, count);
}

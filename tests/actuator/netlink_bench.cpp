// Time to apply one rate change over rtnetlink, from the call to the
// kernel's acknowledgement, and to read the shaper back.
//
//   actuator_netlink_bench htb [COUNT]
//       creates a network namespace with a veth pair and an HTB class (host
//       kernel, needs root) and changes the class COUNT times
//   actuator_netlink_bench cake INTERFACE [COUNT]
//       changes the existing root CAKE of INTERFACE (e.g. in the testbed:
//       scripts/testbed exec -- ip netns exec router BENCH cake r-lan)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cake_qdisc.hpp"
#include "htb_class.hpp"
#include "latency_stats.hpp"
#include "netns_support.hpp"

using namespace wanctl;

namespace {

constexpr std::uint64_t kMbit = 1'000'000;

template <typename Shaper>
int measure(Shaper& shaper, int count, const char* label) {
  std::vector<double> write_ns;
  std::vector<double> read_ns;
  for (int i = 0; i < count; ++i) {
    // Alternating rates, so every change is a real one.
    std::uint64_t rate_bps = (i % 2 == 0 ? 40 : 41) * kMbit + static_cast<std::uint64_t>(i % 1000) * 1000;
    auto start = std::chrono::steady_clock::now();
    ShaperWrite write = shaper.set_rate(rate_bps);
    auto written = std::chrono::steady_clock::now();
    ShaperReading reading = shaper.read();
    auto read = std::chrono::steady_clock::now();
    if (write.status != ShaperStatus::ok || reading.status != ShaperStatus::ok) {
      std::fprintf(stderr, "failed: %s%s\n", write.error.c_str(), reading.error.c_str());
      return 1;
    }
    if (i >= count / 10) {  // the first tenth warms caches and the socket
      write_ns.push_back(std::chrono::duration<double, std::nano>(written - start).count());
      read_ns.push_back(std::chrono::duration<double, std::nano>(read - written).count());
    }
  }
  std::string write_label = std::string(label) + " change (set_rate)";
  std::string read_label = std::string(label) + " read back (read)";
  test::print_latency(write_label.c_str(), write_ns);
  test::print_latency(read_label.c_str(), read_ns);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "htb") {
    int count = argc > 2 ? std::atoi(argv[2]) : 5000;
    std::string error = test::enter_new_network_namespace();
    if (!error.empty()) {
      std::fprintf(stderr, "%s\n", error.c_str());
      return 77;
    }
    test::shell("ip link add bench0 type veth peer name bench0p && ip link set bench0 up && "
                "tc qdisc add dev bench0 root handle 1: htb default 10 && "
                "tc class add dev bench0 parent 1: classid 1:10 htb rate 50mbit burst 15k");
    NetlinkSocket socket;
    HtbClass htb(socket, "bench0", "1:10");
    return measure(htb, count, "htb");
  }
  if (mode == "cake" && argc > 2) {
    int count = argc > 3 ? std::atoi(argv[3]) : 5000;
    NetlinkSocket socket;
    CakeQdisc cake(socket, argv[2]);
    ShaperReading before = cake.read();
    if (before.status != ShaperStatus::ok || !before.rate_bps) {
      std::fprintf(stderr, "%s\n", before.error.c_str());
      return 1;
    }
    int status = measure(cake, count, "cake");
    cake.set_rate(*before.rate_bps);
    return status;
  }
  std::fprintf(stderr, "usage: %s htb [COUNT] | cake INTERFACE [COUNT]\n", argv[0]);
  return 2;
}

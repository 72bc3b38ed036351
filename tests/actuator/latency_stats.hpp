// Percentiles of measured latencies for the actuator benchmarks.
#pragma once

#include <algorithm>
#include <cstdio>
#include <vector>

namespace wanctl::test {

// Prints "NAME: n=N p50=X us p99=Y us max=Z us" for latencies in nanoseconds.
inline void print_latency(const char* name, std::vector<double> latencies_ns) {
  if (latencies_ns.empty()) {
    std::printf("%s: no samples\n", name);
    return;
  }
  std::sort(latencies_ns.begin(), latencies_ns.end());
  auto at = [&](double quantile) {
    std::size_t index = static_cast<std::size_t>(quantile * static_cast<double>(latencies_ns.size() - 1));
    return latencies_ns[index] / 1000.0;
  };
  std::printf("%s: n=%zu p50=%.1f us p99=%.1f us max=%.1f us\n", name, latencies_ns.size(), at(0.50), at(0.99),
              latencies_ns.back() / 1000.0);
}

}  // namespace wanctl::test

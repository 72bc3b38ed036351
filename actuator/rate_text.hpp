// Rates in log lines: "95.00 Mbit/s", "unlimited", "unknown".
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace wanctl {

inline std::string format_rate(std::uint64_t rate_bps) {
  if (rate_bps == 0) {
    return "unlimited";
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f Mbit/s", static_cast<double>(rate_bps) / 1e6);
  return text;
}

inline std::string format_rate(std::optional<std::uint64_t> rate_bps) {
  return rate_bps ? format_rate(*rate_bps) : std::string("unknown");
}

}  // namespace wanctl

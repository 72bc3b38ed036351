#include "tap_options.hpp"

#include <map>

namespace wanctl {

std::optional<std::chrono::nanoseconds> parse_duration(const std::string& text) {
  std::size_t digits = 0;
  double value = 0;
  try {
    value = std::stod(text, &digits);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  static const std::map<std::string, double> kUnitSeconds = {
      {"ms", 1e-3}, {"s", 1.0}, {"m", 60.0}, {"h", 3600.0}};
  auto unit = kUnitSeconds.find(text.substr(digits));
  if (unit == kUnitSeconds.end() || value < 0) {
    return std::nullopt;
  }
  return std::chrono::nanoseconds(static_cast<std::int64_t>(value * unit->second * 1e9));
}

}  // namespace wanctl

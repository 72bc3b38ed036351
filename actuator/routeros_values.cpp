#include "routeros_values.hpp"

#include <cmath>
#include <limits>

namespace wanctl {

std::optional<std::uint64_t> parse_router_counter(std::string_view text) {
  if (text.empty() || text.size() > 20) {
    return std::nullopt;
  }
  std::uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
      return std::nullopt;
    }
    value = value * 10 + digit;
  }
  return value;
}

std::optional<std::uint64_t> parse_router_rate(std::string_view text) {
  if (text.empty() || text.size() > 24) {
    return std::nullopt;
  }

  double multiplier = 1;
  switch (text.back()) {
    case 'k': case 'K': multiplier = 1e3; break;
    case 'M': multiplier = 1e6; break;
    case 'G': multiplier = 1e9; break;
    case 'T': multiplier = 1e12; break;
    default: break;
  }
  std::string_view number = multiplier == 1 ? text : text.substr(0, text.size() - 1);
  if (number.empty()) {
    return std::nullopt;
  }

  // Plain digits keep full 64-bit precision; a fraction ("1.5M") is only
  // meaningful with a suffix.
  if (multiplier == 1) {
    return parse_router_counter(number);
  }
  std::size_t dot = number.find('.');
  std::optional<std::uint64_t> whole = parse_router_counter(number.substr(0, dot));
  if (!whole) {
    return std::nullopt;
  }
  double value = static_cast<double>(*whole);
  if (dot != std::string_view::npos) {
    std::string_view fraction = number.substr(dot + 1);
    std::optional<std::uint64_t> digits = parse_router_counter(fraction);
    if (!digits || fraction.size() > 9) {
      return std::nullopt;
    }
    value += static_cast<double>(*digits) / std::pow(10.0, static_cast<double>(fraction.size()));
  }
  double rate = value * multiplier;
  if (rate >= 1.8e19) {
    return std::nullopt;
  }
  return static_cast<std::uint64_t>(rate + 0.5);
}

std::optional<std::pair<std::string_view, std::string_view>> split_router_pair(std::string_view text) {
  std::size_t slash = text.find('/');
  if (slash == std::string_view::npos || text.find('/', slash + 1) != std::string_view::npos) {
    return std::nullopt;
  }
  return std::pair{text.substr(0, slash), text.substr(slash + 1)};
}

}  // namespace wanctl

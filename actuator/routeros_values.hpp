// Parsing the strings RouterOS's REST API returns for rates and counters.
//
// RouterOS encodes every value as a JSON string. A rate may come back as
// plain bit/s ("10000000"), with a suffix ("10M", "1500k", "1.5G"), as "0"
// for unlimited, or, for a simple queue, as an "upload/download" pair
// ("10000000/50000000"). Anything else is rejected rather than guessed.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>

namespace wanctl {

// A rate in bit/s; 0 means unlimited. Nothing for text that is not a rate.
std::optional<std::uint64_t> parse_router_rate(std::string_view text);

// A non-negative decimal counter ("123456"); nothing otherwise.
std::optional<std::uint64_t> parse_router_counter(std::string_view text);

// Splits "upload/download"; nothing when there is not exactly one '/'.
std::optional<std::pair<std::string_view, std::string_view>> split_router_pair(std::string_view text);

}  // namespace wanctl

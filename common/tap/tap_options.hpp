// What the tap was asked to show, parsed from its command line.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "record_printer.hpp"

namespace wanctl {

struct TapOptions {
  std::string instance;
  std::string object;
  OutputFormat format = OutputFormat::text;
  bool follow = false;
  std::optional<std::uint64_t> count;          // records (or stats lines) to print, then exit
  std::optional<std::chrono::nanoseconds> since;  // only records younger than this
  bool stats = false;
  bool header = false;  // print the object's header instead of records
  std::optional<std::string> record_dir;            // --record: write the instance's objects to CSV files here
  std::optional<std::chrono::nanoseconds> duration;  // --record stops after this long
};

// Parses "250ms", "10s", "5m", "2h"; returns nothing for anything else.
std::optional<std::chrono::nanoseconds> parse_duration(const std::string& text);

}  // namespace wanctl

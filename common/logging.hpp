// spdlog loggers that carry the stage and instance in every line, and a
// limiter for errors that repeat every cycle.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace wanctl {

// Where and how much a stage logs, from the [logging] table of its file.
struct LogOptions {
  spdlog::level::level_enum level = spdlog::level::info;
  std::string file;                          // empty: stderr only
  std::uint64_t file_max_bytes = 10 << 20;   // size at which the file is rotated
  std::size_t file_count = 5;                // rotated files kept besides the current one
};

// Creates the process's logger, writing to stderr (journald picks it up under
// systemd), and makes it spdlog's default. Lines look like
// "2026-12-04T20:14:43.123 warn prober[wan1] message".
std::shared_ptr<spdlog::logger> make_stage_logger(std::string_view stage, std::string_view instance);

// As above, at options.level, and when options.file is set also to that file,
// rotated at options.file_max_bytes. Throws std::runtime_error naming the file
// when it cannot be opened.
std::shared_ptr<spdlog::logger> make_stage_logger(std::string_view stage, std::string_view instance,
                                                  const LogOptions& options);

// Lets the first occurrence of a repeated message through, then at most one
// summary per interval with the count of repeats suppressed meanwhile.
class RepeatLimiter {
 public:
  explicit RepeatLimiter(std::chrono::seconds interval = std::chrono::seconds(60)) : interval_(interval) {}

  // Returns true when `message` should be logged now; suppressed() then tells
  // how many identical messages were held back since the last one logged.
  bool allow(const std::string& message, std::chrono::steady_clock::time_point now);
  std::uint64_t suppressed() const { return suppressed_at_allow_; }

 private:
  std::chrono::seconds interval_;
  std::string last_message_;
  std::chrono::steady_clock::time_point last_logged_{};
  std::uint64_t suppressed_ = 0;
  std::uint64_t suppressed_at_allow_ = 0;
};

}  // namespace wanctl

#include "logging.hpp"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <stdexcept>
#include <vector>

namespace wanctl {

std::shared_ptr<spdlog::logger> make_stage_logger(std::string_view stage, std::string_view instance) {
  return make_stage_logger(stage, instance, LogOptions{});
}

std::shared_ptr<spdlog::logger> make_stage_logger(std::string_view stage, std::string_view instance,
                                                  const LogOptions& options) {
  std::vector<spdlog::sink_ptr> sinks;
  sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
  if (!options.file.empty()) {
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(options.file, options.file_max_bytes,
                                                                             options.file_count));
    } catch (const spdlog::spdlog_ex& error) {
      throw std::runtime_error("cannot open log file " + options.file + ": " + error.what() +
                               "; create its directory writable for the service user, or remove logging.file");
    }
  }

  std::string name = std::string(stage) + "[" + std::string(instance) + "]";
  auto logger = std::make_shared<spdlog::logger>(name, sinks.begin(), sinks.end());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %n %v");
  logger->set_level(options.level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return logger;
}

bool RepeatLimiter::allow(const std::string& message, std::chrono::steady_clock::time_point now) {
  if (message != last_message_) {
    last_message_ = message;
    last_logged_ = now;
    suppressed_at_allow_ = 0;
    suppressed_ = 0;
    return true;
  }
  if (now - last_logged_ >= interval_) {
    last_logged_ = now;
    suppressed_at_allow_ = suppressed_;
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace wanctl

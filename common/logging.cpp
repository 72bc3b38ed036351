#include "logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>

namespace wanctl {

std::shared_ptr<spdlog::logger> make_stage_logger(std::string_view stage, std::string_view instance) {
  std::string name = std::string(stage) + "[" + std::string(instance) + "]";
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %l %n %v");
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

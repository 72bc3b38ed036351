#include "logging_config.hpp"

namespace wanctl {

std::string_view log_level_name(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    default: return "error";
  }
}

void read_logging_config(ConfigReader& reader, LogOptions& options) {
  options = LogOptions{};

  std::string level = reader.choice("logging.level", "info", {"trace", "debug", "info", "warn", "error"});
  options.level = spdlog::level::from_str(level);

  options.file = reader.string("logging.file", "");
  if (reader.has("logging.file") && (options.file.empty() || options.file.front() != '/')) {
    reader.error("logging.file", "must be an absolute path, e.g. \"/var/log/wanctl/wan1.log\"; remove the key "
                                 "to log to stderr only");
    options.file.clear();
  }

  double max_mb = reader.number("logging.file_max_mb", 10.0, 0.1, 1024.0);
  options.file_max_bytes = static_cast<std::uint64_t>(max_mb * 1024.0 * 1024.0);
  options.file_count = static_cast<std::size_t>(reader.integer("logging.file_count", 5, 1, 100));
}

}  // namespace wanctl

// The [logging] table, accepted in every wanctl file: log level and an
// optional rotating log file besides stderr.
#pragma once

#include "config_reader.hpp"
#include "logging.hpp"

namespace wanctl {

// The name that `level` in [logging] accepts for a level: "warn" where
// spdlog writes "warning".
std::string_view log_level_name(spdlog::level::level_enum level);

// Reads and validates [logging], recording every error in the reader.
void read_logging_config(ConfigReader& reader, LogOptions& options);

}  // namespace wanctl

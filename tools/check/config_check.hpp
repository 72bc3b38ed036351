// Checks one wanctl file with the same readers the stages use, so the checker
// reports exactly what a stage would report for the same file. Nothing here
// opens a device, a socket or shared memory.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace wanctl {

enum class FileKind { wan, steering, exporter };

struct CheckResult {
  std::string path;
  FileKind kind = FileKind::wan;
  std::string name;                  // instance, site, or empty for an exporter file
  std::vector<std::string> errors;   // as the stage prints them: file:line:col: key = value: message
  std::vector<std::string> requested_keys;  // every key the readers looked up
  std::string settings;              // effective settings as TOML, when there are no errors
};

// Reads and validates the file at `path`. The kind follows from its tables:
// [site] makes a steering file, [exporter] an exporter file, anything else is
// read as a WAN file.
CheckResult check_config_file(const std::string& path);

std::string_view to_string(FileKind kind);

}  // namespace wanctl

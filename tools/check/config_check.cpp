#include "config_check.hpp"

#include <cstdlib>

#include "effective_settings.hpp"

namespace wanctl {
namespace {

// Runs `print` into a string; SettingsPrinter writes to a FILE*.
template <typename Print>
std::string capture(Print print) {
  char* buffer = nullptr;
  std::size_t size = 0;
  std::FILE* out = ::open_memstream(&buffer, &size);
  if (out == nullptr) {
    return {};
  }
  print(out);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

// Looks at the top-level tables directly, so that the probe does not count
// as a key lookup of the readers.
FileKind detect_kind(const std::string& path) {
  toml::table table = toml::parse_file(path);
  if (table.contains("site")) {
    return FileKind::steering;
  }
  if (table.contains("exporter")) {
    return FileKind::exporter;
  }
  return FileKind::wan;
}

template <typename Config, typename Read, typename Print>
void check_with(ConfigReader& reader, CheckResult& result, Read read, Print print) {
  Config config = read(reader);
  result.requested_keys = reader.requested_keys();
  result.errors = reader.errors();
  if (!result.errors.empty()) {
    return;
  }
  result.settings = capture([&](std::FILE* out) {
    SettingsPrinter printer(out, reader);
    print(printer, config);
  });
}

}  // namespace

std::string_view to_string(FileKind kind) {
  switch (kind) {
    case FileKind::wan: return "WAN";
    case FileKind::steering: return "steering";
    case FileKind::exporter: return "exporter";
  }
  return "unknown";
}

CheckResult check_config_file(const std::string& path) {
  CheckResult result;
  result.path = path;

  std::optional<ConfigReader> loaded;
  try {
    loaded.emplace(ConfigReader::load(path));
  } catch (const ConfigError& error) {
    result.errors = error.errors();
    return result;
  }
  ConfigReader& reader = *loaded;
  result.kind = detect_kind(path);

  switch (result.kind) {
    case FileKind::wan:
      check_with<WanConfig>(reader, result, read_wan_config, [&](SettingsPrinter& out, const WanConfig& config) {
        result.name = config.instance;
        print_wan_settings(out, config);
      });
      break;
    case FileKind::steering:
      check_with<SteeringConfig>(reader, result, read_steering_config,
                                 [&](SettingsPrinter& out, const SteeringConfig& config) {
                                   result.name = config.site;
                                   print_steering_settings(out, config);
                                 });
      break;
    case FileKind::exporter:
      check_with<ExporterConfig>(reader, result, read_exporter_config, print_exporter_settings);
      break;
  }
  return result;
}

}  // namespace wanctl

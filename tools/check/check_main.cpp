// wanctl-check-config: validates WAN, steering and exporter files before a
// restart, with the readers the stages themselves use. It reports every
// error of every file at once and, for a valid file, prints the effective
// settings with defaults filled in. It never opens a device or shared memory.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <set>

#include "config_check.hpp"

using namespace wanctl;

namespace {

void print_result(const CheckResult& result, bool quiet) {
  if (!result.errors.empty()) {
    for (const std::string& error : result.errors) {
      std::fprintf(stderr, "%s\n", error.c_str());
    }
    std::fprintf(stderr, "%s: invalid, %zu error%s\n", result.path.c_str(), result.errors.size(),
                 result.errors.size() == 1 ? "" : "s");
    return;
  }

  std::string subject = result.name.empty() ? "" : " \"" + result.name + "\"";
  std::printf("%s: valid %s file%s\n", result.path.c_str(), std::string(to_string(result.kind)).c_str(),
              subject.c_str());
  if (!quiet) {
    std::printf("# Effective settings; \"# default\" marks a value the file does not set.%s\n",
                result.settings.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Check wanctl WAN, steering and exporter files without touching any device. "
               "Exit status 0 when every file is valid, 1 otherwise."};
  std::vector<std::string> paths;
  bool quiet = false;
  bool list_keys = false;
  app.add_option("files", paths, "configuration files to check")->required();
  app.add_flag("-q,--quiet", quiet, "print only errors and one line per valid file");
  app.add_flag("--list-keys", list_keys,
               "print every key the readers look up while reading the files, one per line, instead of settings");
  CLI11_PARSE(app, argc, argv);

  bool all_valid = true;
  std::vector<std::string> keys;
  std::set<std::string> seen;
  for (const std::string& path : paths) {
    CheckResult result = check_config_file(path);
    all_valid = all_valid && result.errors.empty();
    if (list_keys) {
      for (const std::string& error : result.errors) {
        std::fprintf(stderr, "%s\n", error.c_str());
      }
      for (const std::string& key : result.requested_keys) {
        if (seen.insert(key).second) {
          keys.push_back(key);
        }
      }
      continue;
    }
    print_result(result, quiet);
  }

  for (const std::string& key : keys) {
    std::printf("%s\n", key.c_str());
  }
  return all_valid ? 0 : 1;
}

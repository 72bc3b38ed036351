// wanctl-check-config as an operator runs it, against the shipped example
// configs, broken files with their exact messages, and the reference
// documentation, which must list every key the readers accept.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "run_command.hpp"
#include "unique_name.hpp"

using namespace wanctl;
namespace fs = std::filesystem;

namespace {

std::string checker() { return test::program_path("WANCTL_CHECK_CONFIG"); }
std::string source_dir() { return test::program_path("WANCTL_SOURCE_DIR"); }

std::vector<std::string> toml_files(const std::string& dir) {
  std::vector<std::string> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() == ".toml") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> example_files() { return toml_files(source_dir() + "/configs"); }
std::vector<std::string> all_key_files() { return toml_files(source_dir() + "/tests/tools/all_keys"); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
  return text;
}

// The settings lines of the checker's output without "# default" markers and
// comments, for comparing two runs.
std::vector<std::string> settings_lines(const std::string& output) {
  std::vector<std::string> result;
  std::vector<std::string> lines = lines_of(output);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    std::string line = std::regex_replace(lines[i], std::regex("\\s+# default$"), "");
    if (!line.empty() && line[0] != '#') {
      result.push_back(line);
    }
  }
  return result;
}

// Keys and tables that docs/CONFIGURATION.md documents: each heading names
// its tables as `[table]`, each table row starts with | `key` |.
struct DocumentedKeys {
  std::set<std::string> tables;
  std::map<std::string, std::string> defaults;  // full key -> Default cell
};

DocumentedKeys read_documented_keys(const std::string& path) {
  DocumentedKeys documented;
  std::vector<std::string> current_tables;
  static const std::regex table_name("\\[([a-z_.]+)\\]");
  static const std::regex row("^\\| `([a-z_0-9]+)` \\| [^|]* \\| ([^|]*) \\|");
  for (const std::string& line : lines_of(test::read_file(path))) {
    if (line.rfind("#", 0) == 0) {
      current_tables.clear();
      for (std::sregex_iterator it(line.begin(), line.end(), table_name), end; it != end; ++it) {
        current_tables.push_back((*it)[1]);
        documented.tables.insert((*it)[1]);
      }
      continue;
    }
    std::smatch match;
    if (std::regex_search(line, match, row)) {
      for (const std::string& table : current_tables) {
        documented.defaults[table + "." + std::string(match[1])] = match[2];
      }
    }
  }
  return documented;
}

}  // namespace

TEST_CASE("checker accepts every example config") {
  std::vector<std::string> files = example_files();
  REQUIRE(files.size() >= 6);
  for (const std::string& file : files) {
    test::CommandResult result = test::run_command(checker() + " " + file);
    INFO(file, "\n", result.err);
    CHECK(result.status == 0);
    CHECK(result.out.rfind(file + ": valid ", 0) == 0);
    CHECK(result.err.empty());
  }
}

TEST_CASE("checker accepts its own effective settings") {
  std::vector<std::string> files = example_files();
  std::vector<std::string> more = all_key_files();
  files.insert(files.end(), more.begin(), more.end());
  std::string copy = "/tmp/" + test::unique_instance("effective") + ".toml";

  for (const std::string& file : files) {
    test::CommandResult first = test::run_command(checker() + " " + file);
    REQUIRE(first.status == 0);
    std::ofstream(copy) << first.out.substr(first.out.find('\n') + 1);

    test::CommandResult second = test::run_command(checker() + " " + copy);
    INFO(file, "\n", second.err);
    CHECK(second.status == 0);
    CHECK(settings_lines(second.out) == settings_lines(first.out));
    CHECK_FALSE(std::regex_search(second.out, std::regex("# default\n")));
  }
  std::remove(copy.c_str());
}

TEST_CASE("checker reports each broken file exactly") {
  std::string dir = source_dir() + "/tests/tools/broken";
  std::vector<std::string> files = toml_files(dir);
  REQUIRE(files.size() >= 10);
  for (const std::string& file : files) {
    std::string expected_path = file.substr(0, file.size() - 5) + ".expected";
    std::string expected = replace_all(test::read_file(expected_path), "FILE", file);
    REQUIRE_MESSAGE(!expected.empty(), "missing " << expected_path);

    test::CommandResult result = test::run_command(checker() + " " + file);
    INFO(file);
    CHECK(result.status == 1);
    CHECK(result.out.empty());
    CHECK(result.err == expected);
  }
}

TEST_CASE("checker reports every file in one run") {
  std::string good = source_dir() + "/configs/cable.toml";
  std::string bad = source_dir() + "/tests/tools/broken/out_of_range.toml";
  test::CommandResult result = test::run_command(checker() + " --quiet " + bad + " " + good);
  CHECK(result.status == 1);
  CHECK(result.out == good + ": valid WAN file \"cable\"\n");
  CHECK(result.err.find(bad + ":6:14: prober.timeout_ms = 5: out of range") == 0);

  test::CommandResult missing = test::run_command(checker() + " /nonexistent/wan9.toml");
  CHECK(missing.status == 1);
  CHECK(missing.err.find("/nonexistent/wan9.toml: cannot read the file") == 0);
}

TEST_CASE("every key the readers accept is documented") {
  std::vector<std::string> files = example_files();
  std::vector<std::string> more = all_key_files();
  files.insert(files.end(), more.begin(), more.end());
  std::string arguments;
  for (const std::string& file : files) {
    arguments += " " + file;
  }
  test::CommandResult listed = test::run_command(checker() + " --list-keys" + arguments);
  REQUIRE(listed.status == 0);
  std::vector<std::string> keys = lines_of(listed.out);
  REQUIRE(keys.size() > 100);

  DocumentedKeys documented = read_documented_keys(source_dir() + "/docs/CONFIGURATION.md");
  for (const std::string& key : keys) {
    INFO(key);
    CHECK((documented.defaults.count(key) != 0 || documented.tables.count(key) != 0));
  }

  // And the reverse: a documented key that no reader looks up is stale.
  std::set<std::string> accepted(keys.begin(), keys.end());
  for (const auto& [key, default_text] : documented.defaults) {
    INFO(key);
    CHECK(accepted.count(key) != 0);
  }
}

TEST_CASE("documented defaults match the readers") {
  DocumentedKeys documented = read_documented_keys(source_dir() + "/docs/CONFIGURATION.md");
  std::string dir = source_dir() + "/tests/tools/minimal";
  int compared = 0;
  for (const std::string& file : toml_files(dir)) {
    test::CommandResult result = test::run_command(checker() + " " + file);
    REQUIRE(result.status == 0);
    std::string table;
    static const std::regex setting("^([a-z_0-9]+) = (.*?)\\s+# default$");
    for (const std::string& line : lines_of(result.out)) {
      std::smatch match;
      if (line.rfind("[", 0) == 0) {
        table = line.substr(1, line.size() - 2);
      } else if (std::regex_match(line, match, setting)) {
        std::string key = table + "." + std::string(match[1]);
        auto found = documented.defaults.find(key);
        REQUIRE_MESSAGE(found != documented.defaults.end(), key);
        std::string cell = found->second;
        // Only a cell that is exactly one literal states the value itself;
        // others name another key or describe the default.
        std::smatch literal;
        static const std::regex literal_cell("`(-?[0-9][^`]*|\"[^`<]*\"|\\[[^`]*\\]|true|false)`\\s*");
        if (!std::regex_match(cell, literal, literal_cell)) {
          continue;
        }
        std::string printed = match[2];
        std::string documented_value = literal[1];
        INFO(file, ": ", key, " documented ", documented_value, ", read ", printed);
        char* end = nullptr;
        double number = std::strtod(documented_value.c_str(), &end);
        if (end != documented_value.c_str() && *end == '\0') {
          CHECK(std::stod(printed) == doctest::Approx(number));
        } else {
          CHECK(printed == documented_value);
        }
        ++compared;
      }
    }
  }
  CHECK(compared > 60);
}

TEST_CASE("stages print the checker's message for a broken file") {
  std::string file = source_dir() + "/tests/tools/broken/many_errors.toml";
  test::CommandResult checked = test::run_command(checker() + " " + file);
  std::vector<std::string> errors = lines_of(checked.err);
  errors.pop_back();  // the checker's own summary line
  REQUIRE(errors.size() == 7);

  int stages_run = 0;
  for (const char* variable : {"WANCTL_PROBER", "WANCTL_ESTIMATOR", "WANCTL_ACTUATOR"}) {
    std::string stage = test::program_path(variable);
    if (stage.empty()) {
      MESSAGE(std::string(variable) << " is not set; that stage is not built");
      continue;
    }
    test::CommandResult result = test::run_command("timeout 10 " + stage + " --config " + file);
    INFO(stage, "\n", result.err);
    CHECK(result.status != 0);
    for (const std::string& error : errors) {
      CHECK(result.err.find(error) != std::string::npos);
    }
    ++stages_run;
  }

  std::string steering = test::program_path("WANCTL_STEERING");
  if (!steering.empty()) {
    std::string steering_file = source_dir() + "/tests/tools/broken/steering_same_wan.toml";
    std::string expected = lines_of(test::run_command(checker() + " " + steering_file).err).front();
    test::CommandResult result = test::run_command("timeout 10 " + steering + " --config " + steering_file);
    INFO(result.err);
    CHECK(result.status != 0);
    CHECK(result.err.find(expected) != std::string::npos);
  }
  MESSAGE(stages_run << " WAN stages compared");
}

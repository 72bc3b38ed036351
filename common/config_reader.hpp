// Reading and validating wanctl's TOML files.
//
// Every getter checks type and range and records an error that names the
// file, line, column, key, the bad value and what is accepted; errors are
// collected so that one run reports all of them. After every section is read,
// report_unknown_keys() flags each key nobody asked for (usually a typo).
#pragma once

#include <toml++/toml.h>

#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace wanctl {

// Invalid configuration; what() lists every error, one per line.
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(const std::vector<std::string>& errors);
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::vector<std::string> errors_;
};

class ConfigReader {
 public:
  // Parses the file; malformed TOML (including a duplicated key) throws
  // ConfigError with the parser's position and description.
  static ConfigReader load(const std::string& path);
  static ConfigReader parse(std::string_view text, const std::string& path);

  bool has(std::string_view key) const;

  // Each getter returns the value, or the default when the key is absent; a
  // value of the wrong type or out of range records an error and returns the
  // default so that reading can go on to find further errors.
  double number(std::string_view key, double fallback, double min, double max);
  std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t min, std::int64_t max);
  bool boolean(std::string_view key, bool fallback);
  std::string string(std::string_view key, std::string_view fallback);
  // A string that must be one of `choices`.
  std::string choice(std::string_view key, std::string_view fallback,
                     const std::vector<std::string_view>& choices);
  std::vector<std::string> string_list(std::string_view key);

  // Marks a table as known without reading its keys (for sections another
  // program owns) and every key below it as used.
  void accept_table(std::string_view key);

  // Records an error about a key; the message says what is wrong and what to do.
  void error(std::string_view key, const std::string& message);
  // Records an error about a relation between keys (e.g. min <= max).
  void relation_error(std::string_view key, const std::string& message);

  void report_unknown_keys();
  const std::vector<std::string>& errors() const { return errors_; }
  // Every key a reader looked up, present in the file or not, in the order of
  // first lookup; wanctl-check-config --list-keys prints them.
  const std::vector<std::string>& requested_keys() const { return requested_; }
  // Throws ConfigError when any error was recorded.
  void throw_if_errors() const;

  const std::string& path() const { return path_; }

 private:
  ConfigReader(toml::table table, std::string path);

  const toml::node* find(std::string_view key);
  std::string where(std::string_view key) const;
  std::string value_text(std::string_view key) const;
  void mark_used(std::string_view key);
  void mark_requested(std::string_view key) const;
  void collect_unknown(const toml::table& table, const std::string& prefix);

  toml::table table_;
  std::string path_;
  std::set<std::string, std::less<>> used_;
  std::vector<std::string> errors_;
  // Lookups are recorded from const has() too, hence mutable.
  mutable std::set<std::string, std::less<>> requested_set_;
  mutable std::vector<std::string> requested_;
};

}  // namespace wanctl

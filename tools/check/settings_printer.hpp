// Prints effective settings as TOML, one table at a time, marking each value
// the file does not set with "# default" so an operator sees at once what the
// file decides and what the program decides.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "config_reader.hpp"

namespace wanctl {

class SettingsPrinter {
 public:
  SettingsPrinter(std::FILE* out, const ConfigReader& reader) : out_(out), reader_(reader) {}

  // Starts the table [name]; keys printed after it belong to it.
  void table(std::string_view name);

  void number(std::string_view key, double value);
  void integer(std::string_view key, std::int64_t value);
  void boolean(std::string_view key, bool value);
  void string(std::string_view key, std::string_view value);
  void list(std::string_view key, const std::vector<std::string>& values);
  // A key the program leaves unset; printed as a comment with the reason.
  void unset(std::string_view key, std::string_view reason);

 private:
  void line(std::string_view key, const std::string& value);

  std::FILE* out_;
  const ConfigReader& reader_;
  std::string table_;
};

// Formats a number as TOML, keeping a decimal point on whole floats.
std::string toml_number(double value);
std::string toml_string(std::string_view value);

}  // namespace wanctl

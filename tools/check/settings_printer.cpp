#include "settings_printer.hpp"

#include <cmath>
#include <sstream>

namespace wanctl {

// "# default" markers start in this column, so they line up in a table.
constexpr int kCommentColumn = 44;

std::string toml_number(double value) {
  std::ostringstream text;
  text.precision(10);
  text << value;
  std::string result = text.str();
  if (std::isfinite(value) && result.find_first_of(".eE") == std::string::npos) {
    result += ".0";
  }
  return result;
}

std::string toml_string(std::string_view value) {
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      quoted += '\\';
    }
    quoted += c;
  }
  return quoted + "\"";
}

void SettingsPrinter::table(std::string_view name) {
  table_ = name;
  std::fprintf(out_, "\n[%.*s]\n", static_cast<int>(name.size()), name.data());
}

void SettingsPrinter::line(std::string_view key, const std::string& value) {
  std::string full = table_.empty() ? std::string(key) : table_ + "." + std::string(key);
  std::string text = std::string(key) + " = " + value;
  if (!reader_.has(full)) {
    int pad = std::max(1, kCommentColumn - static_cast<int>(text.size()));
    text += std::string(pad, ' ') + "# default";
  }
  std::fprintf(out_, "%s\n", text.c_str());
}

void SettingsPrinter::number(std::string_view key, double value) { line(key, toml_number(value)); }

void SettingsPrinter::integer(std::string_view key, std::int64_t value) { line(key, std::to_string(value)); }

void SettingsPrinter::boolean(std::string_view key, bool value) { line(key, value ? "true" : "false"); }

void SettingsPrinter::string(std::string_view key, std::string_view value) { line(key, toml_string(value)); }

void SettingsPrinter::list(std::string_view key, const std::vector<std::string>& values) {
  std::string text = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    text += (i ? ", " : "") + toml_string(values[i]);
  }
  line(key, text + "]");
}

void SettingsPrinter::unset(std::string_view key, std::string_view reason) {
  std::fprintf(out_, "# %.*s is not set: %.*s\n", static_cast<int>(key.size()), key.data(),
               static_cast<int>(reason.size()), reason.data());
}

}  // namespace wanctl

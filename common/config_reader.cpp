#include "config_reader.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace wanctl {
namespace {

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) {
    if (!text.empty()) {
      text += '\n';
    }
    text += line;
  }
  return text;
}

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// Returns why `path` cannot be read as a file, or nothing when it can,
// because toml++ reports only that it could not open the file.
std::optional<std::string> unreadable_reason(const std::string& path) {
  std::error_code error;
  std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return "not found; check the path";
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return "is a directory; give the path of a TOML file";
  }
  std::ifstream file(path);
  if (!file) {
    return std::string(std::strerror(errno));
  }
  return std::nullopt;
}

}  // namespace

ConfigError::ConfigError(const std::vector<std::string>& errors)
    : std::runtime_error(join_lines(errors)), errors_(errors) {}

ConfigReader::ConfigReader(toml::table table, std::string path)
    : table_(std::move(table)), path_(std::move(path)) {}

ConfigReader ConfigReader::load(const std::string& path) {
  if (std::optional<std::string> reason = unreadable_reason(path)) {
    throw ConfigError({path + ": cannot read the file: " + *reason});
  }
  try {
    return ConfigReader(toml::parse_file(path), path);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    if (begin.line == 0) {
      throw ConfigError({path + ": cannot read the file: " + std::string(error.description())});
    }
    throw ConfigError({path + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) +
                       ": invalid TOML: " + std::string(error.description())});
  }
}

ConfigReader ConfigReader::parse(std::string_view text, const std::string& path) {
  try {
    return ConfigReader(toml::parse(text, path), path);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    throw ConfigError({path + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column) +
                       ": invalid TOML: " + std::string(error.description())});
  }
}

bool ConfigReader::has(std::string_view key) const {
  mark_requested(key);
  return static_cast<bool>(table_.at_path(key));
}

const toml::node* ConfigReader::find(std::string_view key) {
  mark_requested(key);
  toml::node_view<const toml::node> view = std::as_const(table_).at_path(key);
  if (!view) {
    return nullptr;
  }
  mark_used(key);
  return view.node();
}

void ConfigReader::mark_used(std::string_view key) {
  used_.emplace(key);
}

void ConfigReader::mark_requested(std::string_view key) const {
  if (requested_set_.find(key) == requested_set_.end()) {
    requested_set_.emplace(key);
    requested_.emplace_back(key);
  }
}

std::string ConfigReader::where(std::string_view key) const {
  toml::node_view<const toml::node> view = table_.at_path(key);
  if (view && view.node()->source().begin.line != 0) {
    const auto& begin = view.node()->source().begin;
    return path_ + ":" + std::to_string(begin.line) + ":" + std::to_string(begin.column);
  }
  return path_;
}

std::string ConfigReader::value_text(std::string_view key) const {
  toml::node_view<const toml::node> view = table_.at_path(key);
  if (!view) {
    return "";
  }
  if (const toml::value<std::string>* text = view.node()->as_string()) {
    return "\"" + text->get() + "\"";
  }
  // The shortest text that reads back as the same double: 0.4, where the
  // TOML printer writes 0.40000000000000002.
  if (const toml::value<double>* number = view.node()->as_floating_point()) {
    char buffer[64];
    std::to_chars_result end = std::to_chars(buffer, buffer + sizeof(buffer), number->get());
    return std::string(buffer, end.ptr);
  }
  std::ostringstream text;
  view.node()->visit([&text](const auto& node) { text << node; });
  return text.str();
}

void ConfigReader::error(std::string_view key, const std::string& message) {
  std::string value = value_text(key);
  std::string line = where(key) + ": " + std::string(key);
  if (!value.empty()) {
    line += " = " + value;
  }
  errors_.push_back(line + ": " + message);
}

void ConfigReader::relation_error(std::string_view key, const std::string& message) {
  error(key, message);
}

double ConfigReader::number(std::string_view key, double fallback, double min, double max) {
  const toml::node* node = find(key);
  if (node == nullptr) {
    return fallback;
  }
  std::optional<double> value = node->value<double>();  // integers convert too
  if (!value || !node->is_number()) {
    error(key, "expected a number from " + format_number(min) + " to " + format_number(max));
    return fallback;
  }
  if (!std::isfinite(*value) || *value < min || *value > max) {
    error(key, "out of range; accepted " + format_number(min) + " to " + format_number(max));
    return fallback;
  }
  return *value;
}

std::int64_t ConfigReader::integer(std::string_view key, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) {
  const toml::node* node = find(key);
  if (node == nullptr) {
    return fallback;
  }
  if (!node->is_integer()) {
    error(key, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    return fallback;
  }
  std::int64_t value = node->as_integer()->get();
  if (value < min || value > max) {
    error(key, "out of range; accepted " + std::to_string(min) + " to " + std::to_string(max));
    return fallback;
  }
  return value;
}

bool ConfigReader::boolean(std::string_view key, bool fallback) {
  const toml::node* node = find(key);
  if (node == nullptr) {
    return fallback;
  }
  if (!node->is_boolean()) {
    error(key, "expected true or false");
    return fallback;
  }
  return node->as_boolean()->get();
}

std::string ConfigReader::string(std::string_view key, std::string_view fallback) {
  const toml::node* node = find(key);
  if (node == nullptr) {
    return std::string(fallback);
  }
  if (!node->is_string()) {
    error(key, "expected a string in double quotes");
    return std::string(fallback);
  }
  return node->as_string()->get();
}

std::string ConfigReader::choice(std::string_view key, std::string_view fallback,
                                 const std::vector<std::string_view>& choices) {
  std::string value = string(key, fallback);
  for (std::string_view accepted : choices) {
    if (value == accepted) {
      return value;
    }
  }
  std::string list;
  for (std::string_view accepted : choices) {
    list += (list.empty() ? "" : ", ") + std::string("\"") + std::string(accepted) + "\"";
  }
  error(key, "unknown value; accepted " + list);
  return std::string(fallback);
}

std::vector<std::string> ConfigReader::string_list(std::string_view key) {
  std::vector<std::string> values;
  const toml::node* node = find(key);
  if (node == nullptr) {
    return values;
  }
  const toml::array* array = node->as_array();
  if (array == nullptr) {
    error(key, "expected a list of strings, e.g. [\"a\", \"b\"]");
    return values;
  }
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& element = *array->get(i);
    if (!element.is_string()) {
      error(key, "element " + std::to_string(i + 1) + " is not a string");
      continue;
    }
    values.push_back(element.as_string()->get());
  }
  return values;
}

void ConfigReader::accept_table(std::string_view key) {
  const toml::node* node = find(key);
  if (node == nullptr || !node->is_table()) {
    return;
  }
  for (const auto& [name, child] : *node->as_table()) {
    std::string child_key = std::string(key) + "." + std::string(name.str());
    mark_used(child_key);
    if (child.is_table()) {
      accept_table(child_key);
    }
  }
}

void ConfigReader::collect_unknown(const toml::table& table, const std::string& prefix) {
  for (const auto& [name, child] : table) {
    std::string key = prefix.empty() ? std::string(name.str()) : prefix + "." + std::string(name.str());
    if (child.is_table()) {
      collect_unknown(*child.as_table(), key);
      continue;
    }
    if (used_.count(key) == 0) {
      error(key, "unknown key; check its spelling and section against docs/CONFIGURATION.md");
    }
  }
}

void ConfigReader::report_unknown_keys() { collect_unknown(table_, ""); }

void ConfigReader::throw_if_errors() const {
  if (!errors_.empty()) {
    throw ConfigError(errors_);
  }
}

}  // namespace wanctl

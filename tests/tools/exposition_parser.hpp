// A strict parser of the Prometheus text exposition format (version 0.0.4),
// for tests. It rejects what a Prometheus server would reject. It also
// rejects what a careful exporter never emits: a family split in two, a
// duplicate series, a TYPE after its samples, a histogram whose buckets
// decrease or whose +Inf bucket differs from its count, and a counter not
// named *_total.
#pragma once

#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace wanctl::test {

struct Exposition {
  std::map<std::string, std::string> types;  // family name -> counter, gauge, histogram, ...
  std::map<std::string, std::string> help;
  // Series "name{a="x",b="y"}" with labels sorted by name -> value.
  std::map<std::string, double> series;

  std::optional<double> value(const std::string& key) const {
    auto found = series.find(key);
    return found == series.end() ? std::nullopt : std::optional<double>(found->second);
  }
};

class ExpositionError : public std::runtime_error {
 public:
  ExpositionError(int line, const std::string& message)
      : std::runtime_error("line " + std::to_string(line) + ": " + message) {}
};

namespace exposition_detail {

inline bool valid_metric_name(const std::string& name) {
  static const std::regex pattern("[a-zA-Z_:][a-zA-Z0-9_:]*");
  return std::regex_match(name, pattern);
}

inline bool valid_label_name(const std::string& name) {
  static const std::regex pattern("[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_match(name, pattern) && name.rfind("__", 0) != 0;
}

inline double parse_value(const std::string& text, int line) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || text == "inf" || text == "nan") {
    throw ExpositionError(line, "invalid sample value '" + text + "'");
  }
  return value;
}

// Reads `{a="x",b="y"}` starting at text[pos] == '{'; returns the labels.
inline std::map<std::string, std::string> parse_labels(const std::string& text, std::size_t& pos, int line) {
  std::map<std::string, std::string> labels;
  ++pos;
  while (pos < text.size() && text[pos] != '}') {
    std::size_t equals = text.find('=', pos);
    if (equals == std::string::npos) {
      throw ExpositionError(line, "label without '='");
    }
    std::string name = text.substr(pos, equals - pos);
    if (!valid_label_name(name)) {
      throw ExpositionError(line, "invalid label name '" + name + "'");
    }
    pos = equals + 1;
    if (pos >= text.size() || text[pos] != '"') {
      throw ExpositionError(line, "label value of '" + name + "' is not quoted");
    }
    ++pos;
    std::string value;
    while (pos < text.size() && text[pos] != '"') {
      if (text[pos] == '\\') {
        ++pos;
        if (pos >= text.size()) break;
        char escaped = text[pos];
        if (escaped == 'n') value += '\n';
        else if (escaped == '\\' || escaped == '"') value += escaped;
        else throw ExpositionError(line, "invalid escape in label value");
      } else if (text[pos] == '\n') {
        throw ExpositionError(line, "line break in label value");
      } else {
        value += text[pos];
      }
      ++pos;
    }
    if (pos >= text.size()) {
      throw ExpositionError(line, "unterminated label value");
    }
    ++pos;  // closing quote
    if (!labels.emplace(name, value).second) {
      throw ExpositionError(line, "label '" + name + "' given twice");
    }
    if (pos < text.size() && text[pos] == ',') {
      ++pos;
    } else if (pos < text.size() && text[pos] != '}') {
      throw ExpositionError(line, "expected ',' or '}' after a label");
    }
  }
  if (pos >= text.size()) {
    throw ExpositionError(line, "unterminated label set");
  }
  ++pos;
  return labels;
}

inline std::string series_key(const std::string& name, const std::map<std::string, std::string>& labels) {
  std::string key = name;
  if (!labels.empty()) {
    key += "{";
    bool first = true;
    for (const auto& [label, value] : labels) {
      key += (first ? "" : ",") + label + "=\"" + value + "\"";
      first = false;
    }
    key += "}";
  }
  return key;
}

// The family a sample belongs to: histogram samples carry a suffix.
inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto type = types.find(base);
      if (type != types.end() && (type->second == "histogram" || type->second == "summary")) {
        return base;
      }
    }
  }
  return name;
}

struct HistogramSeries {
  std::vector<std::pair<double, double>> buckets;  // le, cumulative count
  std::optional<double> count;
};

inline void check_histograms(const std::map<std::string, HistogramSeries>& histograms) {
  for (const auto& [key, histogram] : histograms) {
    if (!histogram.count) {
      throw ExpositionError(0, "histogram " + key + " has no _count");
    }
    std::vector<std::pair<double, double>> buckets = histogram.buckets;
    std::sort(buckets.begin(), buckets.end());
    if (buckets.empty() || !std::isinf(buckets.back().first)) {
      throw ExpositionError(0, "histogram " + key + " has no le=\"+Inf\" bucket");
    }
    for (std::size_t i = 1; i < buckets.size(); ++i) {
      if (buckets[i].second < buckets[i - 1].second) {
        throw ExpositionError(0, "histogram " + key + " has decreasing cumulative buckets");
      }
    }
    if (buckets.back().second != *histogram.count) {
      throw ExpositionError(0, "histogram " + key + ": +Inf bucket differs from _count");
    }
  }
}

}  // namespace exposition_detail

inline Exposition parse_exposition(const std::string& text) {
  using namespace exposition_detail;
  Exposition result;
  std::set<std::string> finished_families;
  std::string current_family;
  std::map<std::string, HistogramSeries> histograms;

  if (!text.empty() && text.back() != '\n') {
    throw ExpositionError(0, "the text does not end with a line break");
  }
  int number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end + 1;
    ++number;
    if (line.empty()) {
      continue;
    }

    if (line[0] == '#') {
      std::smatch match;
      static const std::regex meta("# (HELP|TYPE) (\\S+) ?(.*)");
      if (!std::regex_match(line, match, meta)) {
        continue;  // a plain comment
      }
      std::string name = match[2];
      if (!valid_metric_name(name)) {
        throw ExpositionError(number, "invalid metric name '" + name + "'");
      }
      if (match[1] == "TYPE") {
        static const std::set<std::string> kinds = {"counter", "gauge", "histogram", "summary", "untyped"};
        if (kinds.count(match[3]) == 0) {
          throw ExpositionError(number, "unknown type '" + std::string(match[3]) + "'");
        }
        if (!result.types.emplace(name, match[3]).second) {
          throw ExpositionError(number, "second TYPE line for " + name);
        }
        if (finished_families.count(name) != 0 || current_family == name) {
          throw ExpositionError(number, "TYPE of " + name + " after its samples");
        }
      } else if (!result.help.emplace(name, match[3]).second) {
        throw ExpositionError(number, "second HELP line for " + name);
      }
      continue;
    }

    std::size_t pos = 0;
    while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
    std::string name = line.substr(0, pos);
    if (!valid_metric_name(name)) {
      throw ExpositionError(number, "invalid metric name '" + name + "'");
    }
    std::map<std::string, std::string> labels;
    if (pos < line.size() && line[pos] == '{') {
      labels = parse_labels(line, pos, number);
    }
    if (pos >= line.size() || line[pos] != ' ') {
      throw ExpositionError(number, "expected a space before the value");
    }
    std::string rest = line.substr(pos + 1);
    std::string value_text = rest.substr(0, rest.find(' '));
    double value = parse_value(value_text, number);
    if (rest.find(' ') != std::string::npos) {
      std::string timestamp = rest.substr(rest.find(' ') + 1);
      if (!std::regex_match(timestamp, std::regex("-?[0-9]+"))) {
        throw ExpositionError(number, "invalid timestamp '" + timestamp + "'");
      }
    }

    std::string family = family_of(name, result.types);
    if (family != current_family) {
      if (finished_families.count(family) != 0) {
        throw ExpositionError(number, "samples of " + family + " are not contiguous");
      }
      if (!current_family.empty()) finished_families.insert(current_family);
      current_family = family;
    }
    auto type = result.types.find(family);
    if (type != result.types.end() && type->second == "counter") {
      if (name.size() < 6 || name.compare(name.size() - 6, 6, "_total") != 0) {
        throw ExpositionError(number, "counter " + name + " is not named *_total");
      }
      if (value < 0) {
        throw ExpositionError(number, "counter " + name + " is negative");
      }
    }
    if (type != result.types.end() && type->second == "histogram") {
      std::map<std::string, std::string> base_labels = labels;
      base_labels.erase("le");
      HistogramSeries& histogram = histograms[series_key(family, base_labels)];
      if (name == family + "_bucket") {
        if (labels.count("le") == 0) {
          throw ExpositionError(number, "bucket of " + family + " without le");
        }
        histogram.buckets.emplace_back(parse_value(labels["le"], number), value);
      } else if (name == family + "_count") {
        histogram.count = value;
      }
    }

    std::string key = series_key(name, labels);
    if (!result.series.emplace(key, value).second) {
      throw ExpositionError(number, "duplicate series " + key);
    }
  }
  check_histograms(histograms);
  return result;
}

}  // namespace wanctl::test

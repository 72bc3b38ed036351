#include "record_printer.hpp"

#include <algorithm>

namespace wanctl {
namespace {

// Records with more fields than this (status blocks) print one field per
// line in text format, because a row would be too wide to read.
constexpr std::size_t kMaxColumns = 16;

// Values usually grow a little (counters, rates); columns get this much room.
constexpr std::size_t kColumnSlack = 2;

}  // namespace

std::string csv_escape(const std::string& value) {
  if (value.find_first_of(",\"\n\r") == std::string::npos) {
    return value;
  }
  std::string quoted = "\"";
  for (char c : value) {
    quoted += c;
    if (c == '"') {
      quoted += '"';
    }
  }
  return quoted + "\"";
}

std::string json_escape(const std::string& value) {
  std::string escaped;
  for (char c : value) {
    switch (c) {
      case '"': escaped += "\\\""; break;
      case '\\': escaped += "\\\\"; break;
      case '\n': escaped += "\\n"; break;
      case '\r': escaped += "\\r"; break;
      case '\t': escaped += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char code[8];
          std::snprintf(code, sizeof(code), "\\u%04x", c);
          escaped += code;
        } else {
          escaped += c;
        }
    }
  }
  return escaped;
}

void RecordPrinter::print(const std::vector<Field>& fields) {
  switch (format_) {
    case OutputFormat::text: print_text(fields); break;
    case OutputFormat::csv: print_csv(fields); break;
    case OutputFormat::json: print_json(fields); break;
  }
  std::fflush(out_);
}

void RecordPrinter::print_text(const std::vector<Field>& fields) {
  if (fields.size() > kMaxColumns) {
    std::size_t name_width = 0;
    for (const Field& field : fields) {
      name_width = std::max(name_width, field.name.size());
    }
    for (const Field& field : fields) {
      std::fprintf(out_, "%-*s %s\n", static_cast<int>(name_width + 1), (field.name + ":").c_str(),
                   field.value.c_str());
    }
    std::fprintf(out_, "\n");
    return;
  }

  if (!header_printed_) {
    widths_.clear();
    for (const Field& field : fields) {
      widths_.push_back(std::max(field.name.size(), field.value.size() + kColumnSlack));
    }
    for (std::size_t i = 0; i < fields.size(); ++i) {
      std::fprintf(out_, "%*s ", static_cast<int>(widths_[i]), fields[i].name.c_str());
    }
    std::fprintf(out_, "\n");
    header_printed_ = true;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    int width = i < widths_.size() ? static_cast<int>(widths_[i]) : 0;
    std::fprintf(out_, "%*s ", width, fields[i].value.c_str());
  }
  std::fprintf(out_, "\n");
}

void RecordPrinter::print_csv(const std::vector<Field>& fields) {
  if (!header_printed_) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
      std::fprintf(out_, "%s%s", i ? "," : "", fields[i].name.c_str());
    }
    std::fprintf(out_, "\n");
    header_printed_ = true;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    std::fprintf(out_, "%s%s", i ? "," : "", csv_escape(fields[i].value).c_str());
  }
  std::fprintf(out_, "\n");
}

void RecordPrinter::print_json(const std::vector<Field>& fields) {
  std::string line = "{";
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) {
      line += ",";
    }
    line += "\"" + json_escape(fields[i].name) + "\":";
    line += fields[i].numeric ? fields[i].value : "\"" + json_escape(fields[i].value) + "\"";
  }
  line += "}\n";
  std::fputs(line.c_str(), out_);
}

}  // namespace wanctl

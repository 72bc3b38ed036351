// Prints record fields as aligned text, CSV or JSON lines.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "record_fields.hpp"

namespace wanctl {

enum class OutputFormat { text, csv, json };

class RecordPrinter {
 public:
  RecordPrinter(OutputFormat format, std::FILE* out) : format_(format), out_(out) {}

  // Prints one record; the first call also prints the header (text, CSV).
  void print(const std::vector<Field>& fields);

 private:
  void print_text(const std::vector<Field>& fields);
  void print_csv(const std::vector<Field>& fields);
  void print_json(const std::vector<Field>& fields);

  OutputFormat format_;
  std::FILE* out_;
  bool header_printed_ = false;
  std::vector<std::size_t> widths_;  // text column widths, fixed by the header
};

// Quotes a CSV value when it holds a separator, a quote or a line break.
std::string csv_escape(const std::string& value);
std::string json_escape(const std::string& value);

}  // namespace wanctl

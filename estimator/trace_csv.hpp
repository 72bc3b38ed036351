// Recorded traces in the tap's CSV format, read back into records, and
// decisions written in the same format.
//
// A trace file starts with a header line of field names (as record_fields()
// names them) followed by one record per line; values that contain a comma,
// a quote or a line break are quoted, with quotes doubled. Columns are found
// by name, so their order does not matter and extra columns are ignored.
#pragma once

#include <cstddef>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "record_fields.hpp"
#include "records.hpp"

namespace wanctl::estimator {

// Splits a CSV stream into records of fields.
class CsvReader {
 public:
  explicit CsvReader(std::istream& in) : in_(in) {}

  // Reads the next record; returns false at the end of the input. Empty
  // lines are skipped.
  bool next(std::vector<std::string>& fields);

  // Line on which the record last returned by next() starts, from 1.
  std::size_t line() const { return record_line_; }
  // Whether that record ended inside an unclosed quote.
  bool unterminated() const { return unterminated_; }

 private:
  std::istream& in_;
  std::size_t line_ = 1;
  std::size_t record_line_ = 0;
  bool unterminated_ = false;
};

// Positions of named columns in a header.
class ColumnMap {
 public:
  explicit ColumnMap(const std::vector<std::string>& header);

  bool has(const std::string& name) const { return columns_.count(name) != 0; }
  // The named field of a row, or an empty string when the column is absent
  // or the row is short.
  const std::string& field(const std::vector<std::string>& row, const std::string& name) const;
  std::size_t size() const { return size_; }

 private:
  std::map<std::string, std::size_t> columns_;
  std::size_t size_;
};

// Columns a samples trace must have; the others default to zero.
const std::vector<std::string>& required_sample_columns();
// Columns a telemetry trace must have.
const std::vector<std::string>& required_telemetry_columns();

// Each parser fills `record` from a row and returns an empty string, or
// returns what is wrong with the row (the column and the value).
std::string parse_probe_sample(const ColumnMap& columns, const std::vector<std::string>& row, ProbeSample& record);
std::string parse_link_telemetry(const ColumnMap& columns, const std::vector<std::string>& row,
                                 LinkTelemetry& record);

// Quotes a value when it holds a separator, a quote or a line break.
std::string csv_quote(const std::string& value);
void write_csv_header(std::ostream& out, const std::vector<Field>& fields);
void write_csv_row(std::ostream& out, const std::vector<Field>& fields);

}  // namespace wanctl::estimator

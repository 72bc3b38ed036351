#include "trace_csv.hpp"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <limits>
#include <type_traits>

namespace wanctl::estimator {
namespace {

const std::string kEmpty;

template <typename Number>
std::string parse_number(const ColumnMap& columns, const std::vector<std::string>& row, const std::string& name,
                         Number& value) {
  value = 0;
  if (!columns.has(name)) {
    return {};
  }
  const std::string& text = columns.field(row, name);
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) {
    return name + " = \"" + text + "\" is not a whole number in the range of the field";
  }
  return {};
}

// Reads a 0/1 flag or a small count stored in a uint8_t field.
std::string parse_byte(const ColumnMap& columns, const std::vector<std::string>& row, const std::string& name,
                       std::uint8_t& value) {
  unsigned wide = 0;
  std::string error = parse_number(columns, row, name, wide);
  if (error.empty() && wide > std::numeric_limits<std::uint8_t>::max()) {
    return name + " = " + std::to_string(wide) + " is larger than 255";
  }
  value = static_cast<std::uint8_t>(wide);
  return error;
}

std::string parse_address(const std::string& text, ProbeSample& sample) {
  std::memset(sample.reflector_address, 0, sizeof(sample.reflector_address));
  sample.address_family = 0;
  if (text.empty() || text == "-") {
    return {};
  }
  if (::inet_pton(AF_INET, text.c_str(), sample.reflector_address) == 1) {
    sample.address_family = AF_INET;
    return {};
  }
  if (::inet_pton(AF_INET6, text.c_str(), sample.reflector_address) == 1) {
    sample.address_family = AF_INET6;
    return {};
  }
  return "reflector = \"" + text + "\" is not an IPv4 or IPv6 address";
}

template <typename Enum>
std::string parse_enum(const std::string& name, const std::string& text, Enum last, Enum& value) {
  using Raw = std::underlying_type_t<Enum>;
  for (Raw raw = 0; raw <= static_cast<Raw>(last); ++raw) {
    if (to_string(static_cast<Enum>(raw)) == text) {
      value = static_cast<Enum>(raw);
      return {};
    }
  }
  return name + " = \"" + text + "\" is not a known value";
}

// Keeps the first error of a sequence of field parses.
class FirstError {
 public:
  void operator+=(std::string error) {
    if (error_.empty()) {
      error_ = std::move(error);
    }
  }
  std::string take() { return std::move(error_); }

 private:
  std::string error_;
};

}  // namespace

bool CsvReader::next(std::vector<std::string>& fields) {
  fields.clear();
  unterminated_ = false;
  std::string field;
  bool in_quotes = false;
  bool any = false;
  record_line_ = line_;

  for (;;) {
    int c = in_.get();
    if (c == std::char_traits<char>::eof()) {
      if (in_quotes) {
        unterminated_ = true;
      }
      if (!any && field.empty() && fields.empty()) {
        return false;
      }
      fields.push_back(std::move(field));
      return true;
    }

    if (in_quotes) {
      if (c == '"') {
        if (in_.peek() == '"') {
          in_.get();
          field += '"';
        } else {
          in_quotes = false;
        }
      } else {
        line_ += c == '\n' ? 1 : 0;
        field += static_cast<char>(c);
      }
      continue;
    }

    if (c == '\r') {
      continue;
    }
    if (c == '\n') {
      ++line_;
      if (!any && field.empty() && fields.empty()) {
        record_line_ = line_;
        continue;  // empty line
      }
      fields.push_back(std::move(field));
      return true;
    }
    any = true;
    if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (c == '"') {
      in_quotes = true;
    } else {
      field += static_cast<char>(c);
    }
  }
}

ColumnMap::ColumnMap(const std::vector<std::string>& header) : size_(header.size()) {
  for (std::size_t i = 0; i < header.size(); ++i) {
    columns_.emplace(header[i], i);
  }
}

const std::string& ColumnMap::field(const std::vector<std::string>& row, const std::string& name) const {
  auto found = columns_.find(name);
  if (found == columns_.end() || found->second >= row.size()) {
    return kEmpty;
  }
  return row[found->second];
}

const std::vector<std::string>& required_sample_columns() {
  static const std::vector<std::string> columns = {"sample_id", "reflector_id", "status",
                                                   "send_mono_ns", "recv_mono_ns", "rtt_ns"};
  return columns;
}

const std::vector<std::string>& required_telemetry_columns() {
  static const std::vector<std::string> columns = {"time_mono_ns", "download_bytes_total", "download_valid",
                                                   "upload_bytes_total", "upload_valid"};
  return columns;
}

std::string parse_probe_sample(const ColumnMap& columns, const std::vector<std::string>& row, ProbeSample& record) {
  record = ProbeSample{};
  if (row.size() != columns.size()) {
    return "the row has " + std::to_string(row.size()) + " fields, the header " + std::to_string(columns.size());
  }

  FirstError error;
  error += parse_number(columns, row, "sample_id", record.sample_id);
  error += parse_number(columns, row, "reflector_id", record.reflector_id);
  error += parse_address(columns.field(row, "reflector"), record);
  error += parse_enum("status", columns.field(row, "status"), SampleStatus::bad_timestamp, record.status);
  if (columns.has("method")) {
    error += parse_enum("method", columns.field(row, "method"), ProbeMethod::timestamp, record.method);
  }
  error += parse_number(columns, row, "send_mono_ns", record.send_mono_ns);
  error += parse_number(columns, row, "recv_mono_ns", record.recv_mono_ns);
  error += parse_number(columns, row, "rtt_ns", record.rtt_ns);
  error += parse_byte(columns, row, "has_owd", record.has_owd);
  error += parse_number(columns, row, "owd_up_us", record.owd_up_us);
  error += parse_number(columns, row, "owd_down_us", record.owd_down_us);
  error += parse_number(columns, row, "icmp_sequence", record.icmp_sequence);
  error += parse_byte(columns, row, "icmp_type", record.icmp_type);
  error += parse_byte(columns, row, "icmp_code", record.icmp_code);
  return error.take();
}

std::string parse_link_telemetry(const ColumnMap& columns, const std::vector<std::string>& row,
                                 LinkTelemetry& record) {
  record = LinkTelemetry{};
  if (row.size() != columns.size()) {
    return "the row has " + std::to_string(row.size()) + " fields, the header " + std::to_string(columns.size());
  }

  FirstError error;
  error += parse_number(columns, row, "time_mono_ns", record.time_mono_ns);
  error += parse_number(columns, row, "interval_ns", record.interval_ns);
  error += parse_number(columns, row, "last_applied_decision_id", record.last_applied_decision_id);
  error += parse_number(columns, row, "last_apply_latency_ns", record.last_apply_latency_ns);
  error += parse_number(columns, row, "device_writes", record.device_writes);
  error += parse_number(columns, row, "device_write_errors", record.device_write_errors);
  for (int d = 0; d < kDirectionCount; ++d) {
    DirectionTelemetry& direction = record.directions[d];
    std::string p = std::string(to_string(static_cast<Direction>(d))) + "_";
    error += parse_number(columns, row, p + "bytes_total", direction.bytes_total);
    error += parse_number(columns, row, p + "packets_total", direction.packets_total);
    error += parse_number(columns, row, p + "drops_total", direction.drops_total);
    error += parse_number(columns, row, p + "ecn_marks_total", direction.ecn_marks_total);
    error += parse_number(columns, row, p + "achieved_rate_bps", direction.achieved_rate_bps);
    error += parse_number(columns, row, p + "applied_rate_bps", direction.applied_rate_bps);
    error += parse_number(columns, row, p + "backlog_bytes", direction.backlog_bytes);
    error += parse_number(columns, row, p + "backlog_packets", direction.backlog_packets);
    error += parse_number(columns, row, p + "peak_delay_us", direction.peak_delay_us);
    error += parse_number(columns, row, p + "average_delay_us", direction.average_delay_us);
    if (columns.has(p + "device_state")) {
      error += parse_enum(p + "device_state", columns.field(row, p + "device_state"), DeviceState::dry_run,
                          direction.device_state);
    }
    error += parse_byte(columns, row, p + "valid", direction.valid);
  }
  const std::string& last_error = columns.field(row, "last_error");
  std::size_t length = std::min(last_error.size(), sizeof(record.last_error) - 1);
  std::memcpy(record.last_error, last_error.data(), length);
  return error.take();
}

std::string csv_quote(const std::string& value) {
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

void write_csv_header(std::ostream& out, const std::vector<Field>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    out << (i == 0 ? "" : ",") << csv_quote(fields[i].name);
  }
  out << '\n';
}

void write_csv_row(std::ostream& out, const std::vector<Field>& fields) {
  for (std::size_t i = 0; i < fields.size(); ++i) {
    out << (i == 0 ? "" : ",") << csv_quote(fields[i].value);
  }
  out << '\n';
}

}  // namespace wanctl::estimator

// Names and printable values of every record field, for the tap's text, CSV
// and JSON output and for reading recorded CSV traces back. Not used on any
// control path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "records.hpp"

namespace wanctl {

struct Field {
  std::string name;
  std::string value;
  bool numeric;  // false: print quoted in JSON
};

std::vector<Field> record_fields(const ProbeSample& sample);
std::vector<Field> record_fields(const RateDecision& decision);
std::vector<Field> record_fields(const LinkTelemetry& telemetry);
std::vector<Field> record_fields(const EstimatorStatus& status);
std::vector<Field> record_fields(const ProberStatus& status);
std::vector<Field> record_fields(const SteeringStatus& status);
std::vector<Field> record_fields(const TestRecord& record);

std::string_view to_string(SampleStatus status);
std::string_view to_string(ProbeMethod method);
std::string_view to_string(CongestionState state);
std::string_view to_string(DeviceState state);
std::string_view to_string(Direction direction);
std::string_view to_string(WanHealth health);

// Formats a reflector address stored as in ProbeSample.
std::string format_address(const std::uint8_t (&address)[16], std::uint8_t family);

}  // namespace wanctl

#include "shm_layout.hpp"

namespace wanctl {

std::string_view to_string(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::ring: return "ring";
    case ObjectKind::block: return "block";
  }
  return "unknown kind";
}

std::string_view to_string(RecordType type) {
  switch (type) {
    case RecordType::probe_sample: return "probe_sample";
    case RecordType::rate_decision: return "rate_decision";
    case RecordType::link_telemetry: return "link_telemetry";
    case RecordType::estimator_status: return "estimator_status";
    case RecordType::prober_status: return "prober_status";
    case RecordType::steering_status: return "steering_status";
    case RecordType::test_record: return "test_record";
  }
  return "unknown record type";
}

}  // namespace wanctl

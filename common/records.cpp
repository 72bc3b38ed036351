#include "records.hpp"

#include "shared_object.hpp"

namespace wanctl {

std::uint32_t known_record_size(RecordType type) {
  switch (type) {
    case RecordType::probe_sample: return sizeof(ProbeSample);
    case RecordType::rate_decision: return sizeof(RateDecision);
    case RecordType::link_telemetry: return sizeof(LinkTelemetry);
    case RecordType::estimator_status: return sizeof(EstimatorStatus);
    case RecordType::prober_status: return sizeof(ProberStatus);
    case RecordType::steering_status: return sizeof(SteeringStatus);
    case RecordType::test_record: return sizeof(TestRecord);
  }
  return 0;
}

}  // namespace wanctl

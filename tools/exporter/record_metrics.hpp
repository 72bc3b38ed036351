// Turns the records of one instance into metric samples: the estimator's
// status, the prober's status, the actuator's telemetry and the headers of
// all objects. Units are converted to Prometheus base units here (us to s).
#pragma once

#include <string>

#include "family_set.hpp"
#include "instance_objects.hpp"
#include "records.hpp"
#include "stage_health.hpp"

namespace wanctl {

void add_estimator_metrics(FamilySet& families, const std::string& instance, const EstimatorStatus& status,
                           const ProberStatus* prober);
void add_prober_metrics(FamilySet& families, const std::string& instance, const ProberStatus& status);
void add_telemetry_metrics(FamilySet& families, const std::string& instance, const LinkTelemetry& telemetry);
void add_object_metrics(FamilySet& families, const std::string& instance, ObjectId id, const ObjectFacts& facts,
                        std::int64_t now_ns);
void add_stage_metrics(FamilySet& families, const std::string& instance, const StageHealth& stage);

}  // namespace wanctl

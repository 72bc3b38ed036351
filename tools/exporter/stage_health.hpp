// Liveness of each stage of a WAN instance, judged from the objects it
// produces: a stage is healthy while all of its objects exist, are readable
// and show a sign of life (heartbeat or newest record) younger than the
// stale limit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "instance_objects.hpp"

namespace wanctl {

enum class StageState { healthy, stale, missing, unreadable };

struct StageHealth {
  std::string stage;               // "prober", "estimator" or "actuator"
  StageState state = StageState::missing;
  bool required = true;            // counts toward the overall status
  double heartbeat_age_s = -1.0;   // -1 when no object is readable
  std::uint64_t epoch = 0;         // of the stage's first object
  std::uint64_t producer_pid = 0;
  std::string problem;             // why the stage is not healthy, empty when it is
  std::string last_error;          // the stage's own last error, from its record
};

struct InstanceHealth {
  std::string instance;
  std::vector<StageHealth> stages;
  bool healthy() const;
};

// The objects each stage produces.
std::vector<ObjectId> stage_objects(const std::string& stage);

// Judges every stage of an instance from facts read by objects.refresh().
InstanceHealth judge_instance(const InstanceObjects& objects, const std::vector<std::string>& required_stages,
                              double stale_after_s, std::int64_t now_ns);

std::string_view to_string(StageState state);

// The /health document for all instances; healthy is true when every
// required stage of every instance is healthy.
std::string health_json(const std::vector<InstanceHealth>& instances, double stale_after_s, bool& healthy);

}  // namespace wanctl

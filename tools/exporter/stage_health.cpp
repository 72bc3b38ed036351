#include "stage_health.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cstring>

#include "exporter_config.hpp"

namespace wanctl {
namespace {

std::string text_of(const char* chars, std::size_t size) { return std::string(chars, ::strnlen(chars, size)); }

std::string last_error_of(const std::string& stage, const InstanceObjects& objects) {
  if (stage == "prober") {
    if (auto snapshot = objects.prober()) {
      return text_of(snapshot->record.last_error, sizeof(snapshot->record.last_error));
    }
  } else if (stage == "actuator") {
    if (auto snapshot = objects.telemetry()) {
      return text_of(snapshot->record.last_error, sizeof(snapshot->record.last_error));
    }
  }
  return {};
}

StageHealth judge_stage(const std::string& stage, const InstanceObjects& objects, double stale_after_s,
                        std::int64_t now_ns) {
  StageHealth health;
  health.stage = stage;

  std::int64_t newest_ns = 0;
  int readable = 0;
  for (ObjectId id : stage_objects(stage)) {
    const ObjectFacts& facts = objects.facts(id);
    if (facts.state == ObjectState::unreadable) {
      health.state = StageState::unreadable;
      health.problem = facts.problem;
      return health;
    }
    if (facts.state == ObjectState::missing) {
      if (health.problem.empty()) {
        health.problem = facts.problem;
      }
      continue;
    }
    if (readable++ == 0) {
      health.epoch = facts.epoch;
      health.producer_pid = facts.producer_pid;
    }
    newest_ns = std::max(newest_ns, facts.last_sign_of_life_ns());
  }
  if (readable > 0) {
    health.heartbeat_age_s = static_cast<double>(now_ns - newest_ns) / 1e9;
    health.last_error = last_error_of(stage, objects);
  }
  if (!health.problem.empty()) {
    health.state = StageState::missing;
    return health;
  }

  if (newest_ns == 0 || health.heartbeat_age_s > stale_after_s) {
    health.state = StageState::stale;
    health.problem = newest_ns == 0 ? "no heartbeat and no record yet"
                                    : fmt::format("last sign of life {:.1f} s ago, more than stale_after_s = {}",
                                                  health.heartbeat_age_s, stale_after_s);
    return health;
  }
  health.state = StageState::healthy;
  return health;
}

}  // namespace

std::vector<ObjectId> stage_objects(const std::string& stage) {
  if (stage == "prober") {
    return {ObjectId::samples, ObjectId::prober};
  }
  if (stage == "estimator") {
    return {ObjectId::decisions, ObjectId::status};
  }
  if (stage == "actuator") {
    return {ObjectId::telemetry};
  }
  return {};
}

bool InstanceHealth::healthy() const {
  return std::all_of(stages.begin(), stages.end(),
                     [](const StageHealth& stage) { return !stage.required || stage.state == StageState::healthy; });
}

InstanceHealth judge_instance(const InstanceObjects& objects, const std::vector<std::string>& required_stages,
                              double stale_after_s, std::int64_t now_ns) {
  InstanceHealth health;
  health.instance = objects.instance();
  for (const std::string& stage : kWanStages) {
    StageHealth stage_health = judge_stage(stage, objects, stale_after_s, now_ns);
    stage_health.required =
        std::find(required_stages.begin(), required_stages.end(), stage) != required_stages.end();
    health.stages.push_back(std::move(stage_health));
  }
  return health;
}

std::string_view to_string(StageState state) {
  switch (state) {
    case StageState::healthy: return "healthy";
    case StageState::stale: return "stale";
    case StageState::missing: return "missing";
    case StageState::unreadable: return "unreadable";
  }
  return "unknown";
}

std::string health_json(const std::vector<InstanceHealth>& instances, double stale_after_s, bool& healthy) {
  healthy = true;
  nlohmann::json document;
  document["stale_after_s"] = stale_after_s;
  nlohmann::json& list = document["instances"] = nlohmann::json::array();

  for (const InstanceHealth& instance : instances) {
    nlohmann::json entry;
    entry["instance"] = instance.instance;
    entry["status"] = instance.healthy() ? "healthy" : "unhealthy";
    healthy = healthy && instance.healthy();
    for (const StageHealth& stage : instance.stages) {
      nlohmann::json& item = entry["stages"][stage.stage];
      item["status"] = to_string(stage.state);
      item["required"] = stage.required;
      item["heartbeat_age_s"] = stage.heartbeat_age_s;
      item["epoch"] = stage.epoch;
      item["pid"] = stage.producer_pid;
      item["problem"] = stage.problem;
      item["last_error"] = stage.last_error;
    }
    list.push_back(std::move(entry));
  }

  document["status"] = healthy ? "healthy" : "unhealthy";
  // Invalid UTF-8 from a stage's error text is replaced, never a reason for a
  // failed health check.
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace wanctl

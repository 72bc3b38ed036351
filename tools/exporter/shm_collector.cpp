#include "shm_collector.hpp"

#include "mono_time.hpp"
#include "record_metrics.hpp"

namespace wanctl {

ShmCollector::ShmCollector(const ExporterConfig& config, std::shared_ptr<prometheus::Registry> histograms)
    : config_(config), histograms_(std::move(histograms)) {
  for (const std::string& instance : config_.instances) {
    instances_.emplace_back(instance);
  }
}

std::vector<InstanceHealth> ShmCollector::health() const {
  std::lock_guard lock(mutex_);
  std::vector<InstanceHealth> result;
  std::int64_t now_ns = monotonic_now_ns();
  for (InstanceObjects& objects : instances_) {
    objects.refresh();
    result.push_back(judge_instance(objects, config_.required_stages, config_.stale_after_s, now_ns));
  }
  return result;
}

std::vector<prometheus::MetricFamily> ShmCollector::Collect() const {
  FamilySet families;
  {
    std::lock_guard lock(mutex_);
    std::int64_t now_ns = monotonic_now_ns();
    for (InstanceObjects& objects : instances_) {
      objects.refresh();
      InstanceHealth health = judge_instance(objects, config_.required_stages, config_.stale_after_s, now_ns);
      collect_instance(objects, health, families);
      for (ObjectId id : kAllObjects) {
        add_object_metrics(families, objects.instance(), id, objects.facts(id), now_ns);
      }
    }
  }

  std::vector<prometheus::MetricFamily> result = families.take();
  for (prometheus::MetricFamily& family : histograms_->Collect()) {
    result.push_back(std::move(family));
  }
  return result;
}

void ShmCollector::collect_instance(const InstanceObjects& objects, const InstanceHealth& health,
                                    FamilySet& families) const {
  const std::string& instance = objects.instance();
  for (const StageHealth& stage : health.stages) {
    add_stage_metrics(families, instance, stage);
  }

  std::optional<BlockSnapshot<ProberStatus>> prober = objects.prober();
  if (prober) {
    add_prober_metrics(families, instance, prober->record);
  }
  if (std::optional<BlockSnapshot<EstimatorStatus>> status = objects.status()) {
    add_estimator_metrics(families, instance, status->record, prober ? &prober->record : nullptr);
  }
  if (std::optional<BlockSnapshot<LinkTelemetry>> telemetry = objects.telemetry()) {
    add_telemetry_metrics(families, instance, telemetry->record);
  }
}

}  // namespace wanctl

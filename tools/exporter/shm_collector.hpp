// The exporter's /metrics content: everything read from the instances'
// shared-memory objects at scrape time, plus the latency histogram kept by
// ApplyLatencyFollower. Metric names and units follow Prometheus
// conventions (seconds, bits per second, _total for counters); the full list
// is in docs/OPERATIONS.md.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <vector>

#include "exporter_config.hpp"
#include "family_set.hpp"
#include "instance_objects.hpp"
#include "stage_health.hpp"

namespace wanctl {

class ShmCollector : public prometheus::Collectable {
 public:
  ShmCollector(const ExporterConfig& config, std::shared_ptr<prometheus::Registry> histograms);

  // Called by the HTTP threads for /metrics.
  std::vector<prometheus::MetricFamily> Collect() const override;

  // Refreshes every instance and judges its stages, for /health.
  std::vector<InstanceHealth> health() const;

  double stale_after_s() const { return config_.stale_after_s; }

 private:
  void collect_instance(const InstanceObjects& objects, const InstanceHealth& health, FamilySet& families) const;

  ExporterConfig config_;
  std::shared_ptr<prometheus::Registry> histograms_;
  // Scrapes may arrive on several HTTP threads; the readers are not shared.
  mutable std::mutex mutex_;
  mutable std::vector<InstanceObjects> instances_;
};

}  // namespace wanctl

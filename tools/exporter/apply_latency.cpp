#include "apply_latency.hpp"

#include "object_name.hpp"

namespace wanctl {

ApplyLatencyFollower::ApplyLatencyFollower(prometheus::Registry& registry, const std::vector<std::string>& instances) {
  auto& family = prometheus::BuildHistogram()
                     .Name("wanctl_sample_to_shaper_latency_seconds")
                     .Help("Time from the kernel receive time of the probe that caused a decision to the "
                           "device's confirmation of the new rate")
                     .Register(registry);
  for (const std::string& instance : instances) {
    Watch watch;
    watch.name = object_name(instance, RecordTraits<LinkTelemetry>::object);
    watch.histogram = &family.Add({{"instance", instance}}, kApplyLatencyBuckets_s);
    watches_.push_back(std::move(watch));
  }
}

void ApplyLatencyFollower::poll_once() {
  for (Watch& watch : watches_) {
    poll(watch);
  }
}

void ApplyLatencyFollower::poll(Watch& watch) {
  if (watch.reader && watch.reader->object().replaced_by_name()) {
    watch.reader.reset();
    watch.last_decision_id.reset();
  }
  if (!watch.reader) {
    try {
      watch.reader.emplace(BlockReader<LinkTelemetry>::open(watch.name));
    } catch (const ShmError&) {
      return;  // not there yet; /health reports it
    }
  }

  std::optional<BlockSnapshot<LinkTelemetry>> snapshot = watch.reader->read();
  if (!snapshot) {
    return;
  }
  const LinkTelemetry& telemetry = snapshot->record;

  // The first reading, and the first after a reattach, is a reference only:
  // its decision may have been confirmed long before the exporter looked.
  if (!watch.last_decision_id) {
    watch.last_decision_id = telemetry.last_applied_decision_id;
    return;
  }
  if (telemetry.last_applied_decision_id == *watch.last_decision_id) {
    return;
  }
  watch.last_decision_id = telemetry.last_applied_decision_id;
  if (telemetry.last_apply_latency_ns > 0) {
    watch.histogram->Observe(static_cast<double>(telemetry.last_apply_latency_ns) / 1e9);
  }
}

}  // namespace wanctl

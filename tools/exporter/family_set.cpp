#include "family_set.hpp"

namespace wanctl {

prometheus::MetricFamily& FamilySet::family(const std::string& name, const std::string& help,
                                            prometheus::MetricType type) {
  auto found = index_.find(name);
  if (found != index_.end()) {
    return families_[found->second];
  }
  index_.emplace(name, families_.size());
  families_.push_back(prometheus::MetricFamily{name, help, type, {}});
  return families_.back();
}

void FamilySet::gauge(const std::string& name, const std::string& help, const Labels& labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = labels;
  metric.gauge.value = value;
  family(name, help, prometheus::MetricType::Gauge).metric.push_back(std::move(metric));
}

void FamilySet::counter(const std::string& name, const std::string& help, const Labels& labels, double value) {
  prometheus::ClientMetric metric;
  metric.label = labels;
  metric.counter.value = value;
  family(name, help, prometheus::MetricType::Counter).metric.push_back(std::move(metric));
}

std::vector<prometheus::MetricFamily> FamilySet::take() {
  index_.clear();
  return std::move(families_);
}

}  // namespace wanctl

// Builds Prometheus metric families from values read at scrape time, keeping
// one family per name however many instances add samples to it.
#pragma once

#include <prometheus/metric_family.h>

#include <map>
#include <string>
#include <vector>

namespace wanctl {

using Labels = std::vector<prometheus::ClientMetric::Label>;

class FamilySet {
 public:
  void gauge(const std::string& name, const std::string& help, const Labels& labels, double value);
  // `name` ends in _total, as the exposition format expects of counters.
  void counter(const std::string& name, const std::string& help, const Labels& labels, double value);

  // Returns the families in the order their names were first added.
  std::vector<prometheus::MetricFamily> take();

 private:
  prometheus::MetricFamily& family(const std::string& name, const std::string& help, prometheus::MetricType type);

  std::vector<prometheus::MetricFamily> families_;
  std::map<std::string, std::size_t> index_;
};

}  // namespace wanctl

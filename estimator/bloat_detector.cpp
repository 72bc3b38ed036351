#include "bloat_detector.hpp"

#include <algorithm>
#include <bit>

#include "time_weight.hpp"

namespace wanctl::estimator {
namespace {

// One sample above the threshold is an outlier, never bufferbloat.
constexpr int kMinBloatedSamples = 2;

}  // namespace

void BloatDetector::add(std::int64_t time_ns, std::uint16_t reflector_id, double delta_us) {
  if (count_ == kCapacity) {
    first_ = (first_ + 1) % kCapacity;
    --count_;
  }
  entries_[(first_ + count_) % kCapacity] = Entry{time_ns, delta_us, reflector_id};
  ++count_;
}

BloatVerdict BloatDetector::evaluate(std::int64_t now_ns, double window_s, double threshold_us, double share) {
  std::int64_t oldest_ns = now_ns - s_to_ns(window_s);
  while (count_ > 0 && entries_[first_].time_ns <= oldest_ns) {
    first_ = (first_ + 1) % kCapacity;
    --count_;
  }

  // Reflector ids are below kMaxReflectors (16), so a 32-bit mask holds them.
  BloatVerdict verdict;
  std::uint32_t reflectors = 0;
  std::uint32_t bloated_reflectors = 0;
  std::array<double, kCapacity> bloated_deltas_us;
  for (int i = 0; i < count_; ++i) {
    const Entry& entry = entries_[(first_ + i) % kCapacity];
    reflectors |= 1U << (entry.reflector_id & 31U);
    if (entry.delta_us > threshold_us) {
      bloated_reflectors |= 1U << (entry.reflector_id & 31U);
      bloated_deltas_us[static_cast<std::size_t>(verdict.bloated_samples)] = entry.delta_us;
      ++verdict.bloated_samples;
    }
  }
  verdict.samples = count_;

  int needed_reflectors = std::min(2, std::popcount(reflectors));
  verdict.bloat = verdict.bloated_samples >= kMinBloatedSamples &&
                  verdict.bloated_samples >= share * verdict.samples &&
                  std::popcount(bloated_reflectors) >= needed_reflectors;
  if (verdict.bloated_samples > 0) {
    auto middle = bloated_deltas_us.begin() + verdict.bloated_samples / 2;
    std::nth_element(bloated_deltas_us.begin(), middle, bloated_deltas_us.begin() + verdict.bloated_samples);
    verdict.queue_delta_us = *middle;
  }
  return verdict;
}

}  // namespace wanctl::estimator

// Bufferbloat detection in one direction: k of the last n samples, where the
// last n are the samples of the last bloat_window_s and k is bloat_share of n.
//
// Bufferbloat is declared when at least bloat_share of the window's samples
// lie more than bloat_delta_ms above their baseline, at least two samples do,
// and they come from at least two reflectors whenever the window holds two or
// more. A window in seconds keeps the detection time the same at any probe
// rate; the two-reflector rule keeps one reflector's own jump from declaring
// bufferbloat (with three or more reflectors that reflector also stays below
// the share). Cost: one pass over the window, which holds about 13 samples at
// 50 probes/s with the default 0.25 s.
#pragma once

#include <array>
#include <cstdint>

namespace wanctl::estimator {

struct BloatVerdict {
  bool bloat = false;
  double queue_delta_us = 0.0;  // median delta of the samples above the threshold
  int samples = 0;              // in the window
  int bloated_samples = 0;
};

class BloatDetector {
 public:
  // Samples kept at most; at very high probe rates the oldest leave early.
  static constexpr int kCapacity = 256;

  void add(std::int64_t time_ns, std::uint16_t reflector_id, double delta_us);

  // Drops samples older than window_s before now_ns and judges the rest.
  BloatVerdict evaluate(std::int64_t now_ns, double window_s, double threshold_us, double share);

  void clear() { count_ = 0; }

 private:
  struct Entry {
    std::int64_t time_ns;
    double delta_us;
    std::uint16_t reflector_id;
  };

  std::array<Entry, kCapacity> entries_{};
  int first_ = 0;  // oldest entry
  int count_ = 0;
};

}  // namespace wanctl::estimator

// The steering decision with hysteresis in seconds.
//
// Not steered: steer away once the primary has been RED without a break for
// activation_s and only while the alternate is GREEN. Steered: steer back once
// the primary has been GREEN without a break for recovery_s, or once the
// alternate has been RED, STALE or STALLED for activation_s while the primary
// is GREEN or YELLOW (the primary is then the healthier WAN). A STALE or
// STALLED primary holds the decision and resets its timers, because nothing
// is known about it meanwhile.
//
// The decider never changes its own decision: the caller applies the wanted
// one to the device and calls set_steered() only after the device confirmed
// it, so a failed action leaves the logical state unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "assessment.hpp"

namespace wanctl {

struct DeciderTimes {
  std::int64_t activation_ns;  // primary RED (or alternate bad while steered) this long
  std::int64_t recovery_ns;    // primary GREEN this long before steering back
};

struct Verdict {
  bool want_steered = false;  // the decision the WANs' health calls for now
  bool change = false;        // want_steered differs from the current decision
  bool primary_unknown = false;  // primary STALE or STALLED: decision held, warn
  std::string reason;         // why it changes, or why it holds
};

class SteeringDecider {
 public:
  SteeringDecider(DeciderTimes times, std::string primary_name, std::string alternate_name, bool steered)
      : times_(times), primary_(std::move(primary_name)), alternate_(std::move(alternate_name)), steered_(steered) {}

  Verdict evaluate(const Assessment& primary, const Assessment& alternate, std::int64_t now_ns);

  // Records the decision the device confirmed.
  void set_steered(bool steered) { steered_ = steered; }
  bool steered() const { return steered_; }

 private:
  Verdict evaluate_on_primary(const Assessment& primary, const Assessment& alternate, std::int64_t now_ns) const;
  Verdict evaluate_on_alternate(const Assessment& primary, const Assessment& alternate, std::int64_t now_ns) const;
  std::string held(const char* what, std::int64_t since_ns, std::int64_t now_ns) const;

  DeciderTimes times_;
  std::string primary_;
  std::string alternate_;
  bool steered_;
  std::optional<std::int64_t> primary_red_since_ns_;    // start of the primary's current RED spell
  std::optional<std::int64_t> primary_green_since_ns_;  // start of the primary's current GREEN spell
  std::optional<std::int64_t> alternate_bad_since_ns_;  // start of the alternate's RED/STALE/STALLED spell
};

}  // namespace wanctl

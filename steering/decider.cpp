#include "decider.hpp"

#include <cstdio>

#include "record_fields.hpp"

namespace wanctl {
namespace {

void track(std::optional<std::int64_t>& since_ns, bool condition, std::int64_t now_ns) {
  if (!condition) {
    since_ns.reset();
  } else if (!since_ns) {
    since_ns = now_ns;
  }
}

bool lasted(const std::optional<std::int64_t>& since_ns, std::int64_t duration_ns, std::int64_t now_ns) {
  return since_ns && now_ns - *since_ns >= duration_ns;
}

bool unusable(WanHealth health) {
  return health == WanHealth::stale || health == WanHealth::stalled || health == WanHealth::unknown;
}

std::string seconds(std::int64_t duration_ns) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f s", static_cast<double>(duration_ns) * 1e-9);
  return text;
}

std::string health_text(const std::string& name, const Assessment& assessment) {
  return name + " " + std::string(to_string(assessment.health)) + " (" + assessment.reason + ")";
}

}  // namespace

Verdict SteeringDecider::evaluate(const Assessment& primary, const Assessment& alternate, std::int64_t now_ns) {
  track(primary_red_since_ns_, primary.health == WanHealth::red, now_ns);
  track(primary_green_since_ns_, primary.health == WanHealth::green, now_ns);
  bool alternate_bad = alternate.health == WanHealth::red || unusable(alternate.health);
  track(alternate_bad_since_ns_, alternate_bad, now_ns);

  if (unusable(primary.health)) {
    Verdict verdict;
    verdict.want_steered = steered_;
    verdict.primary_unknown = true;
    verdict.reason = "holding: " + health_text(primary_, primary);
    return verdict;
  }
  return steered_ ? evaluate_on_alternate(primary, alternate, now_ns)
                  : evaluate_on_primary(primary, alternate, now_ns);
}

std::string SteeringDecider::held(const char* what, std::int64_t since_ns, std::int64_t now_ns) const {
  return std::string(what) + " for " + seconds(now_ns - since_ns);
}

Verdict SteeringDecider::evaluate_on_primary(const Assessment& primary, const Assessment& alternate,
                                             std::int64_t now_ns) const {
  Verdict verdict;
  verdict.want_steered = false;

  if (!primary_red_since_ns_) {
    verdict.reason = health_text(primary_, primary);
    return verdict;
  }
  std::string red_for = primary_ + " " + held("RED", *primary_red_since_ns_, now_ns);
  if (!lasted(primary_red_since_ns_, times_.activation_ns, now_ns)) {
    verdict.reason = red_for + " of " + seconds(times_.activation_ns) + " (" + primary.reason + ")";
    return verdict;
  }

  if (alternate.health != WanHealth::green) {
    verdict.reason = red_for + " but " + health_text(alternate_, alternate) + ": not steering onto it";
    return verdict;
  }
  verdict.want_steered = true;
  verdict.change = true;
  verdict.reason = red_for + " (" + primary.reason + "), " + alternate_ + " GREEN";
  return verdict;
}

Verdict SteeringDecider::evaluate_on_alternate(const Assessment& primary, const Assessment& alternate,
                                               std::int64_t now_ns) const {
  Verdict verdict;
  verdict.want_steered = true;

  if (lasted(primary_green_since_ns_, times_.recovery_ns, now_ns)) {
    verdict.want_steered = false;
    verdict.change = true;
    verdict.reason = primary_ + " " + held("GREEN", *primary_green_since_ns_, now_ns) + " (" + primary.reason + ")";
    return verdict;
  }

  if (lasted(alternate_bad_since_ns_, times_.activation_ns, now_ns) && primary.health != WanHealth::red) {
    verdict.want_steered = false;
    verdict.change = true;
    verdict.reason = alternate_ + " " + std::string(to_string(alternate.health)) + " for " +
                     seconds(now_ns - *alternate_bad_since_ns_) + " (" + alternate.reason + "), " + primary_ + " " +
                     std::string(to_string(primary.health)) + " is healthier";
    return verdict;
  }

  if (primary_green_since_ns_) {
    verdict.reason = "steered: " + primary_ + " " + held("GREEN", *primary_green_since_ns_, now_ns) + " of " +
                     seconds(times_.recovery_ns);
    return verdict;
  }
  verdict.reason = "steered: " + health_text(primary_, primary);
  return verdict;
}

}  // namespace wanctl

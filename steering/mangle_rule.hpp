// RouterOS action: one mangle rule, found by its comment in
// /ip/firewall/mangle, enabled while steered and disabled otherwise, through
// the REST API (PATCH of "disabled", then a read-back of the same rule).
//
// The comment must identify exactly one rule. With none or several the
// action fails with an error naming the comment (and the ids found), and no
// rule is changed: toggling several rules at once could move traffic no one
// meant to move.
#pragma once

#include <memory>
#include <string>

#include "routeros_client.hpp"
#include "steering_action.hpp"
#include "steering_config.hpp"

namespace wanctl {

class MangleRuleAction : public SteeringAction {
 public:
  // Sets up the REST session; throws std::runtime_error when the password
  // cannot be read.
  explicit MangleRuleAction(const MangleRuleConfig& config);

  std::string describe() const override;
  DeviceReading read() override;
  ActionOutcome apply(bool steered) override;

 private:
  // The one rule with the comment: its id and whether it is enabled.
  struct FoundRule {
    bool ok = false;
    std::string id;
    bool enabled = false;
    DeviceState state = DeviceState::unknown;
    std::string error;
  };

  FoundRule find_rule();
  FoundRule read_rule(const std::string& id);

  MangleRuleConfig config_;
  std::unique_ptr<RouterOsClient> client_;
};

}  // namespace wanctl

// Linux action: a policy-routing rule over rtnetlink (libmnl) that sends
// traffic selected by fwmark or DSCP to the alternate WAN's routing table,
// present while steered and absent otherwise. The same rule in iproute2's
// terms: ip rule add fwmark 0x10 lookup 200 pref 100.
//
// A rule counts as wanctl's only when it matches exactly: same priority,
// table, action and selector, and no other selector (addresses, interfaces,
// ports, uid range, invert). Other rules, even at the same priority, are left
// alone. Duplicates of the rule (added twice by hand) are all removed when
// steering back.
//
// The kernel deletes the first rule that matches the fields a deletion
// request carries and ignores the rest, so "fwmark 0x10 iif eth1 lookup 200
// pref 100" matches a request for "fwmark 0x10 lookup 200 pref 100". Rules
// wanctl adds carry protocol kRuleProtocol, which tells them apart. Before
// each deletion the dump is checked, and a deletion that could remove
// another rule is reported instead of sent.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "netlink_socket.hpp"
#include "steering_action.hpp"
#include "steering_config.hpp"

namespace wanctl {

// Protocol (FRA_PROTOCOL, "proto" in ip rule) of the rules wanctl adds.
// linux/rtnetlink.h says the kernel does not interpret values from
// RTPROT_STATIC (4) up, and 250 is not in iproute2 6.1's rt_protos list.
// A line "250 wanctl" in /etc/iproute2/rt_protos.d/wanctl.conf names it.
inline constexpr std::uint8_t kRuleProtocol = 250;

// The rule of one address family in kernel terms.
struct RuleSelector {
  std::uint8_t family = 0;    // AF_INET or AF_INET6
  bool use_fwmark = true;
  std::uint32_t fwmark = 0;
  std::uint32_t fwmask = 0xffffffff;
  std::uint8_t tos = 0;       // DSCP << 2 when selecting by DSCP
  std::uint32_t table = 0;
  std::uint32_t priority = 0;
};

// Returns the rule for each configured address family.
std::vector<RuleSelector> rule_selectors(const LinuxRuleConfig& config);

// "fwmark 0x10/0xffffffff lookup 200 pref 100 (IPv4)", as ip rule prints it.
std::string describe_rule(const RuleSelector& rule);

class PolicyRuleAction : public SteeringAction {
 public:
  // Opens the rtnetlink socket; throws std::system_error.
  explicit PolicyRuleAction(const LinuxRuleConfig& config);

  std::string describe() const override;
  DeviceReading read() override;
  ActionOutcome apply(bool steered) override;

  // Counts the exact matches of `rule` in a dump of its family; -1 and
  // `error` set when the dump failed.
  int count_rules(const RuleSelector& rule, std::string& error);

 private:
  NetlinkResult add_rule(const RuleSelector& rule);
  std::string delete_one(const RuleSelector& rule, bool& removed);

  std::vector<RuleSelector> rules_;
  NetlinkSocket socket_;
};

}  // namespace wanctl

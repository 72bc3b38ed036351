#include "policy_rule.hpp"

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace wanctl {
namespace {

// Attributes the rule carries or that the kernel adds to every dumped rule
// without selecting traffic by them. Any other attribute is a selector the
// rule does not have, so a dumped rule carrying one is not this rule.
bool neutral_attribute(std::uint16_t type) {
  switch (type) {
    case FRA_PRIORITY:
    case FRA_TABLE:
    case FRA_FWMARK:
    case FRA_FWMASK:
    case FRA_PROTOCOL:
    case FRA_SUPPRESS_PREFIXLEN:
    case FRA_SUPPRESS_IFGROUP:
    case FRA_PAD:
      return true;
    default:
      return false;
  }
}

// The fields of one dumped rule that decide whether it is ours.
struct DumpedRule {
  fib_rule_hdr header{};
  std::uint32_t priority = 0;
  std::uint32_t table = 0;
  std::uint32_t fwmark = 0;
  std::uint32_t fwmask = 0;
  std::uint8_t protocol = 0;  // RTPROT_* value set by the program that added the rule
  bool has_fwmark = false;
  bool has_other_selector = false;
};

DumpedRule parse_rule(const nlmsghdr* message) {
  DumpedRule rule;
  std::memcpy(&rule.header, mnl_nlmsg_get_payload(message), sizeof(fib_rule_hdr));
  rule.table = rule.header.table;

  const char* end = static_cast<const char*>(mnl_nlmsg_get_payload_tail(message));
  for (const auto* attribute =
           static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(message, sizeof(fib_rule_hdr)));
       mnl_attr_ok(attribute, static_cast<int>(end - reinterpret_cast<const char*>(attribute)));
       attribute = mnl_attr_next(attribute)) {
    std::uint16_t type = mnl_attr_get_type(attribute);
    bool is_u32 = mnl_attr_validate(attribute, MNL_TYPE_U32) == 0;
    if (type == FRA_PRIORITY && is_u32) {
      rule.priority = mnl_attr_get_u32(attribute);
    } else if (type == FRA_TABLE && is_u32) {
      rule.table = mnl_attr_get_u32(attribute);
    } else if (type == FRA_FWMARK && is_u32) {
      rule.fwmark = mnl_attr_get_u32(attribute);
      rule.has_fwmark = rule.fwmark != 0;
    } else if (type == FRA_FWMASK && is_u32) {
      rule.fwmask = mnl_attr_get_u32(attribute);
    } else if (type == FRA_PROTOCOL && mnl_attr_validate(attribute, MNL_TYPE_U8) == 0) {
      rule.protocol = mnl_attr_get_u8(attribute);
    }
    if (!neutral_attribute(type)) {
      rule.has_other_selector = true;
    }
  }
  return rule;
}

// The kernel reports no mask for a full one.
std::uint32_t effective_mask(const DumpedRule& dumped) { return dumped.fwmask != 0 ? dumped.fwmask : 0xffffffff; }

// True when the dumped rule is exactly `rule`, with any protocol.
bool matches_exactly(const DumpedRule& dumped, const RuleSelector& rule) {
  const fib_rule_hdr& header = dumped.header;
  if (header.family != rule.family || header.action != FR_ACT_TO_TBL || header.src_len != 0 ||
      header.dst_len != 0 || (header.flags & FIB_RULE_INVERT) != 0 || dumped.has_other_selector) {
    return false;
  }
  if (dumped.priority != rule.priority || dumped.table != rule.table) {
    return false;
  }
  if (rule.use_fwmark) {
    return header.tos == 0 && dumped.has_fwmark && dumped.fwmark == rule.fwmark && effective_mask(dumped) == rule.fwmask;
  }
  return header.tos == rule.tos && !dumped.has_fwmark;
}

// True when a deletion request for `rule` with `protocol` could remove the
// dumped rule. The kernel compares only the fields a request carries, so a
// rule with an extra selector (e.g. an input interface) matches as well. It
// removes the first match in list order, which is also the dump order.
bool matches_deletion(const DumpedRule& dumped, const RuleSelector& rule, std::uint8_t protocol) {
  if (dumped.header.family != rule.family || dumped.header.action != FR_ACT_TO_TBL ||
      dumped.priority != rule.priority || dumped.table != rule.table) {
    return false;
  }
  if (protocol != 0 && dumped.protocol != protocol) {
    return false;
  }
  if (rule.use_fwmark) {
    return dumped.fwmark == rule.fwmark && effective_mask(dumped) == rule.fwmask;
  }
  return dumped.header.tos == rule.tos;
}

// Fills a rule request: header, priority, table, selector and, when not
// zero, the protocol that tags who added it.
void put_rule(nlmsghdr* message, const RuleSelector& rule, std::uint8_t protocol) {
  auto* header = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(message, sizeof(fib_rule_hdr)));
  header->family = rule.family;
  header->action = FR_ACT_TO_TBL;
  header->table = rule.table < 256 ? static_cast<std::uint8_t>(rule.table) : static_cast<std::uint8_t>(RT_TABLE_UNSPEC);
  header->tos = rule.use_fwmark ? 0 : rule.tos;

  mnl_attr_put_u32(message, FRA_PRIORITY, rule.priority);
  mnl_attr_put_u32(message, FRA_TABLE, rule.table);
  if (rule.use_fwmark) {
    mnl_attr_put_u32(message, FRA_FWMARK, rule.fwmark);
    mnl_attr_put_u32(message, FRA_FWMASK, rule.fwmask);
  }
  if (protocol != 0) {
    mnl_attr_put_u8(message, FRA_PROTOCOL, protocol);
  }
}

DeviceState state_for_error(int error) {
  return error == -EPERM || error == -EACCES ? DeviceState::unauthorized : DeviceState::failing;
}

std::string permission_hint(int error) {
  return error == -EPERM || error == -EACCES ? "; wanctl-steering needs CAP_NET_ADMIN for policy rules" : "";
}

const char* family_name(std::uint8_t family) { return family == AF_INET ? "IPv4" : "IPv6"; }

// Dumps the rules of one family in kernel list order; empty and `error` set
// when the dump failed.
std::vector<DumpedRule> dump_rules(NetlinkSocket& socket, std::uint8_t family, std::string& error) {
  nlmsghdr* request = socket.start_request(RTM_GETRULE, NLM_F_DUMP);
  auto* header = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(request, sizeof(fib_rule_hdr)));
  header->family = family;

  std::vector<DumpedRule> rules;
  NetlinkResult result = socket.transact(request, [&](const nlmsghdr* reply) {
    if (reply->nlmsg_type == RTM_NEWRULE && mnl_nlmsg_get_payload_len(reply) >= sizeof(fib_rule_hdr)) {
      rules.push_back(parse_rule(reply));
    }
  });
  if (!result.ok()) {
    error = std::string("dumping the ") + family_name(family) + " policy rules failed: " + result.describe() +
            permission_hint(result.error);
    rules.clear();
  }
  return rules;
}

}  // namespace

std::vector<RuleSelector> rule_selectors(const LinuxRuleConfig& config) {
  std::vector<RuleSelector> rules;
  for (std::uint8_t family : {static_cast<std::uint8_t>(AF_INET), static_cast<std::uint8_t>(AF_INET6)}) {
    bool wanted = config.families == RuleFamilies::both ||
                  (family == AF_INET && config.families == RuleFamilies::ipv4) ||
                  (family == AF_INET6 && config.families == RuleFamilies::ipv6);
    if (!wanted) {
      continue;
    }
    RuleSelector rule;
    rule.family = family;
    rule.use_fwmark = config.use_fwmark;
    rule.fwmark = config.fwmark;
    rule.fwmask = config.fwmask;
    rule.tos = static_cast<std::uint8_t>(config.dscp << 2);
    rule.table = config.table;
    rule.priority = config.priority;
    rules.push_back(rule);
  }
  return rules;
}

std::string describe_rule(const RuleSelector& rule) {
  char text[160];
  if (rule.use_fwmark) {
    std::snprintf(text, sizeof(text), "fwmark 0x%x/0x%x lookup %u pref %u (%s)", rule.fwmark, rule.fwmask, rule.table,
                  rule.priority, rule.family == AF_INET ? "IPv4" : "IPv6");
  } else {
    std::snprintf(text, sizeof(text), "tos 0x%02x (dscp %u) lookup %u pref %u (%s)", rule.tos, rule.tos >> 2u,
                  rule.table, rule.priority, rule.family == AF_INET ? "IPv4" : "IPv6");
  }
  return text;
}

PolicyRuleAction::PolicyRuleAction(const LinuxRuleConfig& config) : rules_(rule_selectors(config)) {}

std::string PolicyRuleAction::describe() const {
  std::string text = "ip rule";
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    text += (i == 0 ? " " : " and ") + describe_rule(rules_[i]);
  }
  return text;
}

int PolicyRuleAction::count_rules(const RuleSelector& rule, std::string& error) {
  error.clear();
  std::vector<DumpedRule> rules = dump_rules(socket_, rule.family, error);
  if (!error.empty()) {
    return -1;
  }
  int count = 0;
  for (const DumpedRule& dumped : rules) {
    count += matches_exactly(dumped, rule) ? 1 : 0;
  }
  return count;
}

NetlinkResult PolicyRuleAction::add_rule(const RuleSelector& rule) {
  nlmsghdr* request = socket_.start_request(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK);
  put_rule(request, rule, kRuleProtocol);
  NetlinkResult result = socket_.transact(request, [](const nlmsghdr*) {});
  return result.error == -EEXIST ? NetlinkResult{} : result;
}

// Removes one exact copy of the rule. Returns an error, and removes nothing,
// when the kernel would remove another rule first.
std::string PolicyRuleAction::delete_one(const RuleSelector& rule, bool& removed) {
  removed = false;
  std::string error;
  std::vector<DumpedRule> rules = dump_rules(socket_, rule.family, error);
  if (!error.empty()) {
    return error;
  }

  const DumpedRule* exact = nullptr;
  for (const DumpedRule& dumped : rules) {
    if (matches_exactly(dumped, rule)) {
      exact = &dumped;
      break;
    }
  }
  if (exact == nullptr) {
    return {};
  }

  for (const DumpedRule& dumped : rules) {
    if (!matches_deletion(dumped, rule, exact->protocol)) {
      continue;
    }
    if (!matches_exactly(dumped, rule)) {
      return "another rule with the same priority, table and selector but more conditions comes first, and the "
             "kernel would delete it instead; nothing was deleted; give the steering rule a priority of its own";
    }
    break;
  }

  nlmsghdr* request = socket_.start_request(RTM_DELRULE, NLM_F_ACK);
  put_rule(request, rule, exact->protocol);
  NetlinkResult result = socket_.transact(request, [](const nlmsghdr*) {});
  if (result.error == -ENOENT) {
    return {};  // gone meanwhile
  }
  if (!result.ok()) {
    return result.describe() + permission_hint(result.error);
  }
  removed = true;
  return {};
}

DeviceReading PolicyRuleAction::read() {
  DeviceReading reading;
  int present = 0;
  for (const RuleSelector& rule : rules_) {
    std::string error;
    int count = count_rules(rule, error);
    if (count < 0) {
      reading.state = DeviceState::failing;
      reading.error = error;
      return reading;
    }
    present += count > 0 ? 1 : 0;
  }
  reading.ok = true;
  reading.state = DeviceState::ok;
  reading.steered = present > 0;
  reading.partial = present > 0 && present < static_cast<int>(rules_.size());
  return reading;
}

ActionOutcome PolicyRuleAction::apply(bool steered) {
  ActionOutcome outcome;
  for (const RuleSelector& rule : rules_) {
    std::string error;
    int count = count_rules(rule, error);
    if (count < 0) {
      outcome.state = DeviceState::failing;
      outcome.error = error;
      return outcome;
    }

    if (steered && count == 0) {
      NetlinkResult result = add_rule(rule);
      ++outcome.writes;
      if (!result.ok()) {
        outcome.state = state_for_error(result.error);
        outcome.error = "adding ip rule " + describe_rule(rule) + " failed: " + result.describe() +
                        permission_hint(result.error);
        return outcome;
      }
    }

    // Each deletion removes one copy, so duplicates need one request each.
    for (int i = 0; !steered && i < count; ++i) {
      bool removed = false;
      std::string problem = delete_one(rule, removed);
      outcome.writes += removed ? 1 : 0;
      if (!problem.empty()) {
        outcome.state = DeviceState::failing;
        outcome.error = "deleting ip rule " + describe_rule(rule) + " failed: " + problem;
        return outcome;
      }
    }
  }

  DeviceReading check = read();
  if (!check.ok) {
    outcome.state = check.state;
    outcome.error = "verifying " + describe() + " failed: " + check.error;
    return outcome;
  }
  if (check.steered != steered || check.partial) {
    outcome.state = DeviceState::failing;
    outcome.error = "verifying " + describe() + ": the dump still shows it " +
                    (check.partial ? "for one family only" : (check.steered ? "present" : "absent"));
    return outcome;
  }
  outcome.ok = true;
  outcome.state = DeviceState::ok;
  return outcome;
}

}  // namespace wanctl

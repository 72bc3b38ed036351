#include "mangle_rule.hpp"

namespace wanctl {
namespace {

constexpr const char* kManglePath = "/ip/firewall/mangle";

// The REST client names the actuator's keys in its hints; steering's
// connection keys sit under action.routeros instead.
std::string steering_keys(std::string text) {
  const std::string from = "actuator.routeros.";
  const std::string to = "action.routeros.";
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

DeviceState state_for(ShaperStatus status) {
  switch (status) {
    case ShaperStatus::ok: return DeviceState::ok;
    case ShaperStatus::unauthorized: return DeviceState::unauthorized;
    case ShaperStatus::missing: return DeviceState::missing;
    case ShaperStatus::transient:
    case ShaperStatus::rejected: return DeviceState::failing;
  }
  return DeviceState::failing;
}

// RouterOS REST returns booleans as the strings "true" and "false"; a real
// JSON boolean is accepted too.
std::optional<bool> parse_flag(const nlohmann::json& value) {
  if (value.is_boolean()) {
    return value.get<bool>();
  }
  if (value.is_string()) {
    const std::string& text = value.get_ref<const std::string&>();
    if (text == "true" || text == "yes") {
      return true;
    }
    if (text == "false" || text == "no") {
      return false;
    }
  }
  return std::nullopt;
}

}  // namespace

MangleRuleAction::MangleRuleAction(const MangleRuleConfig& config)
    : config_(config), client_(std::make_unique<RouterOsClient>(config.router, RetryPolicy{1, 0, 0})) {}

std::string MangleRuleAction::describe() const {
  return "mangle rule with comment \"" + config_.comment + "\" on " + client_->base_url() + kManglePath;
}

MangleRuleAction::FoundRule MangleRuleAction::find_rule() {
  FoundRule found;
  // The query lets the router filter the list. The exact comparison below
  // decides, so a router that ignores the filter gives the same result.
  RestResult result = client_->get(std::string(kManglePath) + "?comment=" + client_->escape(config_.comment));
  if (result.status != ShaperStatus::ok) {
    found.state = state_for(result.status);
    found.error = "reading " + std::string(kManglePath) + " failed: " + steering_keys(result.error);
    return found;
  }
  if (!result.body.is_array()) {
    found.state = DeviceState::failing;
    found.error = "reading " + std::string(kManglePath) + ": expected a JSON array, got " + result.body.dump().substr(0, 80);
    return found;
  }

  std::vector<const nlohmann::json*> matching;
  for (const nlohmann::json& rule : result.body) {
    auto comment = rule.find("comment");
    if (comment != rule.end() && comment->is_string() && comment->get<std::string>() == config_.comment) {
      matching.push_back(&rule);
    }
  }

  if (matching.empty()) {
    found.state = DeviceState::missing;
    found.error = "no rule in " + std::string(kManglePath) + " has comment \"" + config_.comment +
                  "\"; add the steering rule on the router or fix action.routeros.comment";
    return found;
  }
  if (matching.size() > 1) {
    std::string ids;
    for (const nlohmann::json* rule : matching) {
      ids += (ids.empty() ? "" : ", ") + rule->value(".id", std::string("?"));
    }
    found.state = DeviceState::failing;
    found.error = std::to_string(matching.size()) + " rules in " + kManglePath + " have comment \"" + config_.comment +
                  "\" (" + ids + "); none was changed; give exactly one rule this comment";
    return found;
  }

  const nlohmann::json& rule = *matching.front();
  found.id = rule.value(".id", std::string());
  auto disabled = rule.find("disabled");
  std::optional<bool> is_disabled = disabled != rule.end() ? parse_flag(*disabled) : std::nullopt;
  if (found.id.empty() || !is_disabled) {
    found.state = DeviceState::failing;
    found.error = "the mangle rule with comment \"" + config_.comment + "\" has no \".id\" or no valid \"disabled\" field: " +
                  rule.dump().substr(0, 120);
    return found;
  }
  found.ok = true;
  found.enabled = !*is_disabled;
  found.state = DeviceState::ok;
  return found;
}

MangleRuleAction::FoundRule MangleRuleAction::read_rule(const std::string& id) {
  FoundRule found;
  std::string path = std::string(kManglePath) + "/" + client_->escape(id);
  RestResult result = client_->get(path);
  if (result.status != ShaperStatus::ok) {
    found.state = state_for(result.status);
    found.error = "reading back " + path + " failed: " + steering_keys(result.error);
    return found;
  }
  auto comment = result.body.find("comment");
  auto disabled = result.body.find("disabled");
  std::optional<bool> is_disabled = disabled != result.body.end() ? parse_flag(*disabled) : std::nullopt;
  if (comment == result.body.end() || *comment != config_.comment || !is_disabled) {
    found.state = DeviceState::failing;
    found.error = "reading back " + path + ": the rule no longer has comment \"" + config_.comment +
                  "\" or a valid \"disabled\" field";
    return found;
  }
  found.ok = true;
  found.id = id;
  found.enabled = !*is_disabled;
  found.state = DeviceState::ok;
  return found;
}

DeviceReading MangleRuleAction::read() {
  DeviceReading reading;
  FoundRule rule = find_rule();
  reading.ok = rule.ok;
  reading.steered = rule.enabled;
  reading.state = rule.state;
  reading.error = rule.error;
  return reading;
}

ActionOutcome MangleRuleAction::apply(bool steered) {
  ActionOutcome outcome;
  FoundRule rule = find_rule();
  if (!rule.ok) {
    outcome.state = rule.state;
    outcome.error = rule.error;
    return outcome;
  }

  if (rule.enabled != steered) {
    std::string path = std::string(kManglePath) + "/" + client_->escape(rule.id);
    RestResult result = client_->patch(path, {{"disabled", steered ? "false" : "true"}});
    ++outcome.writes;
    if (result.status != ShaperStatus::ok) {
      outcome.state = state_for(result.status);
      outcome.error = std::string(steered ? "enabling " : "disabling ") + describe() + " failed: " +
                      steering_keys(result.error);
      return outcome;
    }
  }

  FoundRule check = read_rule(rule.id);
  if (!check.ok) {
    outcome.state = check.state;
    outcome.error = check.error;
    return outcome;
  }
  if (check.enabled != steered) {
    outcome.state = DeviceState::failing;
    outcome.error = "reading back " + describe() + ": still " + (check.enabled ? "enabled" : "disabled");
    return outcome;
  }
  outcome.ok = true;
  outcome.state = DeviceState::ok;
  return outcome;
}

}  // namespace wanctl

#include "local_shaper.hpp"

namespace wanctl {

LocalShaper::LocalShaper(const ActuatorConfig& config) : socket_(std::make_unique<NetlinkSocket>()) {
  for (int direction = 0; direction < kDirectionCount; ++direction) {
    const std::optional<ActuatorTarget>& target = config.directions[direction];
    if (!target) {
      continue;
    }
    if (config.backend == ActuatorBackend::htb) {
      htb_[direction].emplace(*socket_, target->interface, target->htb_class);
    } else {
      cake_[direction].emplace(*socket_, target->interface);
    }
  }
}

std::string LocalShaper::describe(Direction direction) const {
  int index = static_cast<int>(direction);
  if (htb_[index]) {
    return htb_[index]->describe();
  }
  if (cake_[index]) {
    return "root CAKE on " + cake_[index]->interface();
  }
  return "nothing";
}

ShaperReading LocalShaper::read(Direction direction) {
  int index = static_cast<int>(direction);
  if (htb_[index]) {
    return htb_[index]->read();
  }
  return cake_[index]->read();
}

ShaperWrite LocalShaper::write_rate(Direction direction, std::uint64_t rate_bps) {
  int index = static_cast<int>(direction);
  if (htb_[index]) {
    return htb_[index]->set_rate(rate_bps);
  }
  return cake_[index]->set_rate(rate_bps);
}

}  // namespace wanctl

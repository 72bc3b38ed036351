// The Shaper for this host's kernel: a root CAKE or an HTB class per
// direction, all driven through one rtnetlink socket.
#pragma once

#include <memory>
#include <optional>

#include "actuator_config.hpp"
#include "cake_qdisc.hpp"
#include "htb_class.hpp"
#include "netlink_socket.hpp"
#include "shaper.hpp"

namespace wanctl {

class LocalShaper : public Shaper {
 public:
  // Opens the netlink socket; throws std::system_error when it cannot.
  explicit LocalShaper(const ActuatorConfig& config);

  std::string describe(Direction direction) const override;
  ShaperReading read(Direction direction) override;
  ShaperWrite write_rate(Direction direction, std::uint64_t rate_bps) override;

 private:
  std::unique_ptr<NetlinkSocket> socket_;
  std::optional<CakeQdisc> cake_[kDirectionCount];
  std::optional<HtbClass> htb_[kDirectionCount];
};

}  // namespace wanctl

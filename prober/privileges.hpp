// Dropping privileges once the sockets are open. The prober keeps at most
// CAP_NET_RAW, which it needs to open raw sockets again after its interface
// returns (and to set SO_MARK on Linux 5.17 and later); every other
// capability leaves the permitted, effective, inheritable, ambient and
// bounding sets, and no_new_privs is set. It can also switch to a configured
// user, keeping CAP_NET_RAW across the switch.
#pragma once

#include <stdexcept>
#include <string>

namespace wanctl::prober {

class PrivilegeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PrivilegePlan {
  std::string user;       // empty: keep the current user
  bool keep_net_raw;      // keep CAP_NET_RAW (raw sockets or a firewall mark)
};

// Applies the plan and returns a description of the result for the log,
// e.g. "uid 65534, capabilities cap_net_raw=ep". Throws PrivilegeError when
// the user does not exist or the switch is not permitted.
std::string drop_privileges(const PrivilegePlan& plan);

// Returns the process's current capability sets as text (cap_to_text).
std::string current_capabilities();

}  // namespace wanctl::prober

// The router password, read from a file or an environment variable at the
// moment it is needed, so a rotated password is picked up without a restart.
// Error messages name the file or variable, never the value.
#pragma once

#include <string>

#include "actuator_config.hpp"

namespace wanctl {

// Returns the password without a trailing newline; throws std::runtime_error
// naming the file or variable when it cannot be read or is empty.
std::string read_router_password(const RouterOsConfig& config);

}  // namespace wanctl

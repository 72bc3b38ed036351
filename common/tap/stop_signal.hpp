// SIGINT/SIGTERM handling for the tap: the loops poll stop_requested().
#pragma once

namespace wanctl {

void install_stop_handlers();
bool stop_requested();

}  // namespace wanctl

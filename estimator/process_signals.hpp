// SIGTERM, SIGINT and SIGHUP for the live estimator. The handlers only set
// flags; the main loop, which sleeps at most 100 ms at a time, acts on them.
// The handlers are installed without SA_RESTART, so a signal also cuts a
// futex sleep short.
#pragma once

namespace wanctl::estimator {

void install_signal_handlers();
bool stop_requested();
// Returns true once per SIGHUP received since the last call.
bool take_reload_request();

}  // namespace wanctl::estimator

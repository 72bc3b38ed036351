// systemd readiness and watchdog notifications for the stage daemons.
//
// A stage calls ready() once its objects are open and its loop is about to
// run, watchdog_ping() from the point of its loop that only runs while it
// makes progress, and stopping() when it shuts down. Outside systemd
// (NOTIFY_SOCKET unset) every call does nothing, so the same binary runs from
// a shell or a test.
#pragma once

#include <chrono>
#include <string_view>

namespace wanctl::service {

// Sends READY=1, with a STATUS= line when `status` is not empty.
void ready(std::string_view status = {});

// Sends WATCHDOG=1 when systemd enabled the watchdog for this process, at most
// once per quarter of the watchdog interval, so a loop may call it every cycle.
// A stage whose loop stalls stops calling it and systemd restarts the unit.
void watchdog_ping();

// Sends STOPPING=1, with a STATUS= line when `status` is not empty.
void stopping(std::string_view status = {});

// Sends STATUS=<text>, shown by `systemctl status`; for state changes, not
// for every cycle.
void status(std::string_view text);

// The watchdog interval systemd set (WatchdogSec=), or zero when the watchdog
// is off for this process.
std::chrono::microseconds watchdog_interval();

}  // namespace wanctl::service

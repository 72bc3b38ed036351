#include "service_notify.hpp"

#include <systemd/sd-daemon.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "mono_time.hpp"

namespace wanctl::service {
namespace {

// -1: not read yet; 0: watchdog off; otherwise the interval in microseconds.
std::atomic<std::int64_t> watchdog_usec{-1};
// CLOCK_MONOTONIC of the last WATCHDOG=1 sent, nanoseconds.
std::atomic<std::int64_t> last_ping_ns{0};

void notify(const std::string& message) {
  // Errors are ignored on purpose: a lost notification makes systemd time the
  // unit out or restart it, which is the right outcome, and a stage must never
  // stop because its supervisor is unreachable.
  (void)sd_notify(0, message.c_str());
}

std::string with_status(std::string message, std::string_view status) {
  if (!status.empty()) {
    message += "\nSTATUS=";
    message += status;
  }
  return message;
}

}  // namespace

void ready(std::string_view status) { notify(with_status("READY=1", status)); }

void stopping(std::string_view status) { notify(with_status("STOPPING=1", status)); }

void status(std::string_view text) { notify("STATUS=" + std::string(text)); }

std::chrono::microseconds watchdog_interval() {
  std::int64_t usec = watchdog_usec.load(std::memory_order_relaxed);
  if (usec < 0) {
    std::uint64_t configured = 0;
    usec = sd_watchdog_enabled(0, &configured) > 0 ? static_cast<std::int64_t>(configured) : 0;
    watchdog_usec.store(usec, std::memory_order_relaxed);
  }
  return std::chrono::microseconds(usec);
}

void watchdog_ping() {
  std::int64_t interval_ns = watchdog_interval().count() * 1000;
  if (interval_ns == 0) {
    return;
  }

  std::int64_t now_ns = monotonic_now_ns();
  std::int64_t last_ns = last_ping_ns.load(std::memory_order_relaxed);
  if (last_ns != 0 && now_ns - last_ns < interval_ns / 4) {
    return;
  }
  last_ping_ns.store(now_ns, std::memory_order_relaxed);
  notify("WATCHDOG=1");
}

}  // namespace wanctl::service

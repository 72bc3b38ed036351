#include "process_signals.hpp"

#include <signal.h>

#include <atomic>

namespace wanctl::estimator {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

static_assert(std::atomic<bool>::is_always_lock_free, "signal handlers need a lock-free flag");

void on_stop(int) { g_stop.store(true, std::memory_order_relaxed); }
void on_reload(int) { g_reload.store(true, std::memory_order_relaxed); }

void install(int signal_number, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ::sigaction(signal_number, &action, nullptr);
}

}  // namespace

void install_signal_handlers() {
  install(SIGTERM, on_stop);
  install(SIGINT, on_stop);
  install(SIGHUP, on_reload);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

bool take_reload_request() { return g_reload.exchange(false, std::memory_order_relaxed); }

}  // namespace wanctl::estimator

#include "stop_signal.hpp"

#include <csignal>

namespace wanctl {
namespace {

volatile std::sig_atomic_t stop_flag = 0;

void on_stop_signal(int) { stop_flag = 1; }

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  // A closed pipe (wanctl-tap ... | head) ends the tap quietly.
  ::sigaction(SIGPIPE, &action, nullptr);
}

bool stop_requested() { return stop_flag != 0; }

}  // namespace wanctl

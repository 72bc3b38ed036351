// The systemd notification helper against a real notification socket, as
// systemd sets one up for a Type=notify service.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <thread>

#include "service_notify.hpp"
#include "unique_name.hpp"

using namespace wanctl;

namespace {

class NotifySocket {
 public:
  NotifySocket() : path_("/tmp/" + test::unique_instance("notify") + ".sock") {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    path_.copy(address.sun_path, sizeof(address.sun_path) - 1);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    timeval timeout{0, 200'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }
  ~NotifySocket() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  // Returns the next datagram, or "" when none arrives within 200 ms.
  std::string receive() {
    char buffer[1024];
    ssize_t got = ::recv(fd_, buffer, sizeof(buffer), 0);
    return got > 0 ? std::string(buffer, static_cast<std::size_t>(got)) : std::string();
  }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

TEST_CASE("service notify sends ready, status and stopping") {
  NotifySocket socket;
  service::ready("serving");
  CHECK(socket.receive() == "READY=1\nSTATUS=serving");
  service::status("3 reflectors active");
  CHECK(socket.receive() == "STATUS=3 reflectors active");
  service::stopping();
  CHECK(socket.receive() == "STOPPING=1");
}

TEST_CASE("service notify pings the watchdog at a quarter interval") {
  NotifySocket socket;
  // What systemd sets for WatchdogSec=0.4 s.
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);

  CHECK(service::watchdog_interval() == std::chrono::microseconds(400000));
  service::watchdog_ping();
  CHECK(socket.receive() == "WATCHDOG=1");

  // A loop that calls it again at once sends nothing new...
  service::watchdog_ping();
  CHECK(socket.receive().empty());

  // ...until a quarter of the interval has passed.
  std::this_thread::sleep_for(std::chrono::milliseconds(110));
  service::watchdog_ping();
  CHECK(socket.receive() == "WATCHDOG=1");

  ::unsetenv("WATCHDOG_USEC");
  ::unsetenv("WATCHDOG_PID");
}

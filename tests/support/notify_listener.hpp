// A datagram socket that plays systemd's notification socket, so a test can
// start a stage with NOTIFY_SOCKET set and read what it announces.
#pragma once

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace wanctl::test {

class NotifyListener {
 public:
  explicit NotifyListener(std::string path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      throw std::runtime_error("cannot create a notification socket");
    }
    std::remove(path_.c_str());
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path_.c_str());
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ::close(fd_);
      throw std::runtime_error("cannot bind the notification socket " + path_);
    }
    timeval timeout{3, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~NotifyListener() {
    ::close(fd_);
    std::remove(path_.c_str());
  }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  const std::string& path() const { return path_; }

  // Reads messages until one contains `part`, or until `messages` messages
  // or 3 s of silence. Returns all messages read, one per line, so a failed
  // check shows what arrived.
  std::string read_until(const std::string& part, int messages = 20) {
    std::string seen;
    for (int i = 0; i < messages; ++i) {
      char message[512] = {};
      ssize_t received = ::recv(fd_, message, sizeof(message) - 1, 0);
      if (received <= 0) {
        break;
      }
      seen.append(message, static_cast<std::size_t>(received)).append("\n");
      if (seen.find(part) != std::string::npos) {
        break;
      }
    }
    return seen;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace wanctl::test

// A reflector that misbehaves on purpose, for the prober's integration
// tests. It runs inside a test's own network namespace, listens with one raw
// ICMP socket per address given, and answers echo and timestamp requests in
// the way its mode says:
//
//   ADDRESS=bad-timestamp  timestamp replies with invalid times (the high bit
//                          set, or a time of a day or more, in turn); echo
//                          replies are normal
//   ADDRESS=duplicate      every reply is sent twice
//   ADDRESS=late:MS        every reply is sent MS milliseconds late
//   ADDRESS=time-exceeded  an ICMP time exceeded quoting the request instead
//
// Its replies carry the firewall mark given with --mark, so that a test can
// drop the kernel's own replies from the same addresses with nftables. It
// exits on SIGTERM or SIGINT, and after --max-seconds in any case.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t stop_requested = 0;

void request_stop(int) { stop_requested = 1; }

enum class Mode { bad_timestamp, duplicate, late, time_exceeded };

struct Reflector {
  std::string address_text;
  in_addr address{};
  Mode mode = Mode::duplicate;
  int delay_ms = 0;
  int fd = -1;
  unsigned replies = 0;  // alternates the kind of invalid time
};

struct PendingReply {
  std::int64_t due_ns;
  int fd;
  sockaddr_in destination;
  std::vector<std::uint8_t> message;
};

std::int64_t now_ns(clockid_t clock) {
  timespec time{};
  clock_gettime(clock, &time);
  return static_cast<std::int64_t>(time.tv_sec) * 1'000'000'000 + time.tv_nsec;
}

std::uint32_t ms_since_midnight() {
  return static_cast<std::uint32_t>((now_ns(CLOCK_REALTIME) / 1'000'000) % 86'400'000);
}

std::uint16_t checksum(const std::vector<std::uint8_t>& data) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < data.size(); i += 2) {
    sum += static_cast<std::uint32_t>((data[i] << 8) | data[i + 1]);
  }
  if (data.size() % 2 != 0) {
    sum += static_cast<std::uint32_t>(data.back() << 8);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<std::uint16_t>(~sum);
}

void put_u32(std::vector<std::uint8_t>& data, std::size_t offset, std::uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    data[offset + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (24 - 8 * i));
  }
}

void finish(std::vector<std::uint8_t>& message) {
  message[2] = 0;
  message[3] = 0;
  std::uint16_t sum = checksum(message);
  message[2] = static_cast<std::uint8_t>(sum >> 8);
  message[3] = static_cast<std::uint8_t>(sum);
}

bool parse_reflector(const std::string& argument, Reflector& reflector) {
  std::size_t equals = argument.find('=');
  if (equals == std::string::npos) {
    return false;
  }
  reflector.address_text = argument.substr(0, equals);
  std::string mode = argument.substr(equals + 1);
  if (inet_pton(AF_INET, reflector.address_text.c_str(), &reflector.address) != 1) {
    return false;
  }
  if (mode == "bad-timestamp") {
    reflector.mode = Mode::bad_timestamp;
  } else if (mode == "duplicate") {
    reflector.mode = Mode::duplicate;
  } else if (mode == "time-exceeded") {
    reflector.mode = Mode::time_exceeded;
  } else if (mode.rfind("late:", 0) == 0) {
    reflector.mode = Mode::late;
    reflector.delay_ms = std::atoi(mode.c_str() + 5);
  } else {
    return false;
  }
  return true;
}

int open_socket(const Reflector& reflector, int mark) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (fd < 0) {
    std::perror("crafted_responder: socket");
    return -1;
  }
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr = reflector.address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
    std::perror("crafted_responder: bind or SO_MARK");
    close(fd);
    return -1;
  }
  return fd;
}

// Builds what the reflector sends back for one request (a datagram with
// its IP header), or nothing for a message it ignores.
std::vector<std::uint8_t> answer(Reflector& reflector, const std::uint8_t* datagram, std::size_t length) {
  std::size_t header_bytes = static_cast<std::size_t>(datagram[0] & 0x0f) * 4;
  if (length < header_bytes + 8) {
    return {};
  }
  std::vector<std::uint8_t> request(datagram + header_bytes, datagram + length);
  std::uint8_t type = request[0];
  if (type != 8 && type != 13) {
    return {};
  }

  if (reflector.mode == Mode::time_exceeded) {
    std::vector<std::uint8_t> error(8, 0);
    error[0] = 11;
    error.insert(error.end(), datagram, datagram + header_bytes + 8);
    finish(error);
    return error;
  }

  std::vector<std::uint8_t> reply = request;
  reply[0] = type == 8 ? 0 : 14;
  if (type == 13 && reply.size() >= 20) {
    std::uint32_t receive = ms_since_midnight();
    std::uint32_t transmit = receive;
    if (reflector.mode == Mode::bad_timestamp) {
      if (reflector.replies % 2 == 0) {
        receive |= 0x8000'0000u;  // RFC 792: not a standard time
      } else {
        transmit = 90'000'000;  // more than a day
      }
    }
    put_u32(reply, 12, receive);
    put_u32(reply, 16, transmit);
  }
  ++reflector.replies;
  finish(reply);
  return reply;
}

void send_now(const PendingReply& reply) {
  sendto(reply.fd, reply.message.data(), reply.message.size(), 0,
         reinterpret_cast<const sockaddr*>(&reply.destination), sizeof(reply.destination));
}

}  // namespace

int main(int argc, char** argv) {
  int mark = 0x77;
  int max_seconds = 60;
  std::vector<Reflector> reflectors;
  for (int i = 1; i < argc; ++i) {
    std::string argument = argv[i];
    if (argument == "--mark" && i + 1 < argc) {
      mark = static_cast<int>(std::strtol(argv[++i], nullptr, 0));
    } else if (argument == "--max-seconds" && i + 1 < argc) {
      max_seconds = std::atoi(argv[++i]);
    } else {
      Reflector reflector;
      if (!parse_reflector(argument, reflector)) {
        std::fprintf(stderr, "crafted_responder: invalid argument %s; expected ADDRESS=MODE\n", argv[i]);
        return 2;
      }
      reflectors.push_back(reflector);
    }
  }
  if (reflectors.empty()) {
    std::fprintf(stderr, "usage: crafted_responder [--mark N] [--max-seconds S] ADDRESS=MODE...\n");
    return 2;
  }

  signal(SIGTERM, request_stop);
  signal(SIGINT, request_stop);
  std::vector<pollfd> polls;
  for (Reflector& reflector : reflectors) {
    reflector.fd = open_socket(reflector, mark);
    if (reflector.fd < 0) {
      return 1;
    }
    polls.push_back(pollfd{reflector.fd, POLLIN, 0});
  }
  std::printf("ready\n");
  std::fflush(stdout);

  std::deque<PendingReply> pending;
  std::int64_t end_ns = now_ns(CLOCK_MONOTONIC) + std::int64_t{max_seconds} * 1'000'000'000;
  while (stop_requested == 0 && now_ns(CLOCK_MONOTONIC) < end_ns) {
    int timeout_ms = 100;
    if (!pending.empty()) {
      std::int64_t wait_ns = pending.front().due_ns - now_ns(CLOCK_MONOTONIC);
      timeout_ms = wait_ns <= 0 ? 0 : static_cast<int>(wait_ns / 1'000'000 + 1);
    }
    if (poll(polls.data(), polls.size(), timeout_ms) < 0 && errno != EINTR) {
      std::perror("crafted_responder: poll");
      return 1;
    }

    while (!pending.empty() && pending.front().due_ns <= now_ns(CLOCK_MONOTONIC)) {
      send_now(pending.front());
      pending.pop_front();
    }

    for (std::size_t i = 0; i < polls.size(); ++i) {
      if ((polls[i].revents & POLLIN) == 0) {
        continue;
      }
      std::uint8_t datagram[2048];
      sockaddr_in source{};
      socklen_t source_length = sizeof(source);
      ssize_t length = recvfrom(polls[i].fd, datagram, sizeof(datagram), MSG_DONTWAIT,
                                reinterpret_cast<sockaddr*>(&source), &source_length);
      if (length <= 0) {
        continue;
      }
      Reflector& reflector = reflectors[i];
      std::vector<std::uint8_t> message = answer(reflector, datagram, static_cast<std::size_t>(length));
      if (message.empty()) {
        continue;
      }
      PendingReply reply{now_ns(CLOCK_MONOTONIC), reflector.fd, source, message};
      if (reflector.mode == Mode::late) {
        reply.due_ns += std::int64_t{reflector.delay_ms} * 1'000'000;
        pending.push_back(reply);
        continue;
      }
      send_now(reply);
      if (reflector.mode == Mode::duplicate) {
        send_now(reply);
      }
    }
  }
  for (Reflector& reflector : reflectors) {
    close(reflector.fd);
  }
  return 0;
}

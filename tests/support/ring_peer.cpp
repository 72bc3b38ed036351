// A stand-alone ring producer, consumer or observer for tests that need real
// separate processes (killed with SIGKILL, restarted, attached read-only).
//
//   ring_peer produce NAME CAPACITY UNTIL_INDEX INTERVAL_US
//       pushes TestRecords whose index equals their ring index until the ring
//       holds UNTIL_INDEX records; prints "epoch E start S" first.
//   ring_peer consume NAME CAPACITY UNTIL_INDEX OUTFILE
//   ring_peer observe NAME UNTIL_INDEX OUTFILE
//       append one line per record to OUTFILE: "INDEX EPOCH" or "TORN INDEX";
//       exit once the record UNTIL_INDEX - 1 was read.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "ring.hpp"
#include "test_records.hpp"

using namespace wanctl;

namespace {

int produce(const std::string& name, std::uint64_t capacity, std::uint64_t until, long interval_us) {
  auto writer = RingWriter<TestRecord>::open(name, capacity, false);
  std::printf("epoch %llu start %llu\n", static_cast<unsigned long long>(writer.epoch()),
              static_cast<unsigned long long>(writer.write_index()));
  std::fflush(stdout);

  auto next = std::chrono::steady_clock::now();
  while (writer.write_index() < until) {
    writer.push(test::make_test_record(writer.write_index()));
    if (interval_us > 0) {
      next += std::chrono::microseconds(interval_us);
      std::this_thread::sleep_until(next);
    }
  }
  return 0;
}

template <typename Reader>
int drain(Reader& reader, std::uint64_t until, const char* path) {
  int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  for (;;) {
    auto entry = reader.try_read();
    if (!entry) {
      reader.wait(std::chrono::milliseconds(100));
      continue;
    }
    bool intact = test::is_intact(entry->record) && entry->record.index == entry->index;
    std::string line = intact ? std::to_string(entry->index) + " " + std::to_string(reader.epoch()) + "\n"
                              : "TORN " + std::to_string(entry->index) + "\n";
    // One write per line: a process killed mid-stream never leaves half a line.
    if (::write(fd, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
      return 1;
    }
    if (entry->index + 1 >= until) {
      return 0;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "produce" && argc == 6) {
      return produce(argv[2], std::strtoull(argv[3], nullptr, 10), std::strtoull(argv[4], nullptr, 10),
                     std::strtol(argv[5], nullptr, 10));
    }
    if (mode == "consume" && argc == 6) {
      auto reader = RingReader<TestRecord>::consumer(argv[2], std::strtoull(argv[3], nullptr, 10));
      return drain(reader, std::strtoull(argv[4], nullptr, 10), argv[5]);
    }
    if (mode == "observe" && argc == 5) {
      auto reader = RingReader<TestRecord>::observer(argv[2]);
      reader.seek_oldest();
      return drain(reader, std::strtoull(argv[3], nullptr, 10), argv[4]);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "ring_peer: %s\n", error.what());
    return 1;
  }
  std::fprintf(stderr, "usage: see the comment at the top of ring_peer.cpp\n");
  return 2;
}

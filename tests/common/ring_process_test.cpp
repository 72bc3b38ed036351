// Rings shared by real, separate processes that are killed with SIGKILL and
// restarted: the consumer resumes without duplicates, the producer continues
// with a new epoch, and an observer attached throughout sees every record
// intact.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <sstream>
#include <thread>

#include "object_name.hpp"
#include "process.hpp"
#include "run_command.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

struct ReaderLog {
  std::vector<std::uint64_t> indices;
  std::set<std::uint64_t> epochs;
  int torn = 0;
  int out_of_order = 0;
};

ReaderLog parse_reader_log(const std::string& path) {
  ReaderLog log;
  std::istringstream lines(test::read_file(path));
  std::string first;
  while (lines >> first) {
    if (first == "TORN") {
      std::string index;
      lines >> index;
      ++log.torn;
      continue;
    }
    std::uint64_t index = std::stoull(first);
    std::uint64_t epoch = 0;
    lines >> epoch;
    if (!log.indices.empty() && index <= log.indices.back()) {
      ++log.out_of_order;
    }
    log.indices.push_back(index);
    log.epochs.insert(epoch);
  }
  return log;
}

// Waits until the producer printed its "epoch E start S" line.
std::string wait_for_line(const std::string& path) {
  for (int i = 0; i < 500; ++i) {
    std::string text = test::read_file(path);
    if (text.find('\n') != std::string::npos) {
      return text;
    }
    std::this_thread::sleep_for(10ms);
  }
  return "";
}

}  // namespace

TEST_CASE("ring survives SIGKILL of consumer and producer") {
  std::string peer = test::program_path("RING_PEER");
  REQUIRE_MESSAGE(!peer.empty(), "RING_PEER is not set; run through meson test");

  std::string name = object_name(test::unique_instance("process"), "test");
  test::ObjectCleanup cleanup(name);
  std::string dir = "/tmp/" + name;
  std::filesystem::create_directories(dir);
  const std::string capacity = "65536";
  const std::uint64_t until = 60000;
  const std::string until_text = std::to_string(until);

  auto producer = test::ChildProcess::start({peer, "produce", name, capacity, until_text, "50"}, dir + "/producer1");
  REQUIRE(wait_for_line(dir + "/producer1").rfind("epoch 1 start 0", 0) == 0);

  auto observer = test::ChildProcess::start({peer, "observe", name, until_text, dir + "/observer"});
  auto consumer = test::ChildProcess::start({peer, "consume", name, capacity, until_text, dir + "/consumer"});

  std::this_thread::sleep_for(500ms);
  consumer.kill(SIGKILL);
  CHECK(consumer.wait_for(5000ms) == 128 + SIGKILL);
  consumer = test::ChildProcess::start({peer, "consume", name, capacity, until_text, dir + "/consumer"});

  std::this_thread::sleep_for(500ms);
  producer.kill(SIGKILL);
  CHECK(producer.wait_for(5000ms) == 128 + SIGKILL);
  producer = test::ChildProcess::start({peer, "produce", name, capacity, until_text, "50"}, dir + "/producer2");
  std::string restart_line = wait_for_line(dir + "/producer2");
  CHECK(restart_line.rfind("epoch 2 start ", 0) == 0);
  std::uint64_t restart_index = std::stoull(restart_line.substr(std::string("epoch 2 start ").size()));
  CHECK(restart_index > 0);
  CHECK(restart_index < until);

  CHECK(producer.wait_for(60000ms) == 0);
  CHECK(consumer.wait_for(10000ms) == 0);
  CHECK(observer.wait_for(10000ms) == 0);

  ReaderLog consumed = parse_reader_log(dir + "/consumer");
  CHECK(consumed.torn == 0);
  CHECK(consumed.out_of_order == 0);
  // The consumer commits its cursor before it handles a record, so the record
  // in hand when it was killed may be lost, never repeated.
  CHECK(consumed.indices.size() >= until - 1);
  CHECK(consumed.indices.back() == until - 1);
  CHECK(consumed.epochs.count(2) == 1);

  ReaderLog observed = parse_reader_log(dir + "/observer");
  CHECK(observed.torn == 0);
  CHECK(observed.out_of_order == 0);
  CHECK(observed.indices.size() == until);
  CHECK(observed.epochs.count(1) == 1);
  CHECK(observed.epochs.count(2) == 1);

  std::filesystem::remove_all(dir);
}

TEST_CASE("ring creation reports a full /dev/shm") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to mount a small /dev/shm in a private mount namespace");
    return;
  }
  std::string peer = test::program_path("RING_PEER");
  std::string name = object_name(test::unique_instance("full"), "test");
  // 2^20 records of 72 bytes need 72 MiB; the private /dev/shm holds 64 KiB.
  test::CommandResult result = test::run_command(
      "unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs /dev/shm && exec " + peer + " produce " + name +
      " 1048576 1 0'");
  CHECK(result.status == 1);
  CHECK(result.err.find("cannot allocate shared-memory object " + name) != std::string::npos);
  CHECK(result.err.find("/dev/shm is full") != std::string::npos);
}

// wanctl-tap as a user runs it: real processes against real objects.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>

#include <sstream>
#include <thread>

#include "latest_block.hpp"
#include "object_name.hpp"
#include "process.hpp"
#include "ring.hpp"
#include "run_command.hpp"
#include "test_records.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using namespace std::chrono_literals;

namespace {

std::string tap() { return test::program_path("WANCTL_TAP"); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) {
    lines.push_back(line);
  }
  return lines;
}

}  // namespace

TEST_CASE("tap prints a ring as CSV, JSON and text") {
  std::string instance = test::unique_instance("tap");
  std::string name = object_name(instance, "test");
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 16, false);
  for (std::uint64_t i = 0; i < 20; ++i) {
    writer.push(test::make_test_record(i));
  }

  test::CommandResult csv = test::run_command(tap() + " " + instance + " test --format csv");
  CHECK(csv.status == 0);
  std::vector<std::string> rows = lines_of(csv.out);
  REQUIRE(rows.size() == 17);
  CHECK(rows[0] == "index,check0");
  CHECK(rows[1].rfind("4,", 0) == 0);
  CHECK(rows[16].rfind("19,", 0) == 0);

  test::CommandResult last = test::run_command(tap() + " " + instance + " test --format json --count 2");
  CHECK(last.status == 0);
  std::vector<std::string> json = lines_of(last.out);
  REQUIRE(json.size() == 2);
  CHECK(json[0].rfind("{\"index\":18,\"check0\":", 0) == 0);
  CHECK(json[1].rfind("{\"index\":19,", 0) == 0);

  test::CommandResult text = test::run_command(tap() + " " + instance + " test --count 1");
  std::vector<std::string> table = lines_of(text.out);
  REQUIRE(table.size() == 2);
  CHECK(table[0].find("index") != std::string::npos);
  CHECK(table[1].find("19") != std::string::npos);
}

TEST_CASE("tap follows new records and reports a producer restart") {
  std::string instance = test::unique_instance("tap");
  std::string name = object_name(instance, "test");
  test::ObjectCleanup cleanup(name);
  std::string out = "/tmp/" + name + ".follow";
  std::string err = out + ".err";
  auto writer = std::make_unique<RingWriter<TestRecord>>(RingWriter<TestRecord>::open(name, 64, false));

  auto follower = test::ChildProcess::start(
      {"/bin/sh", "-c", tap() + " " + instance + " test --follow --count 6 --format csv 2>" + err}, out);
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 3; ++i) {
    writer->push(test::make_test_record(writer->write_index()));
  }
  std::this_thread::sleep_for(300ms);
  writer.reset();
  writer = std::make_unique<RingWriter<TestRecord>>(RingWriter<TestRecord>::open(name, 64, false));
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 3; ++i) {
    writer->push(test::make_test_record(writer->write_index()));
  }

  CHECK(follower.wait_for(5000ms) == 0);
  std::vector<std::string> rows = lines_of(test::read_file(out));
  REQUIRE(rows.size() == 7);
  CHECK(rows[1].rfind("0,", 0) == 0);
  CHECK(rows[6].rfind("5,", 0) == 0);
  CHECK(test::read_file(err).find("restarted: epoch 1 -> 2") != std::string::npos);
  std::remove(out.c_str());
  std::remove(err.c_str());
}

TEST_CASE("tap stats count records per second") {
  std::string instance = test::unique_instance("tap");
  std::string name = object_name(instance, "test");
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 1024, false);
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    while (!stop.load()) {
      writer.push(test::make_test_record(writer.write_index()));
      std::this_thread::sleep_for(10ms);
    }
  });

  test::CommandResult stats = test::run_command(tap() + " " + instance + " test --stats --count 2 --format json");
  stop.store(true);
  producer.join();

  CHECK(stats.status == 0);
  std::vector<std::string> rows = lines_of(stats.out);
  REQUIRE(rows.size() == 2);
  std::size_t start = rows[1].find("\"records_per_s\":") + 16;
  int rate = std::stoi(rows[1].substr(start));
  CHECK(rate >= 30);   // about 90 per second, with room for a busy machine
  CHECK(rate <= 110);
  CHECK(rows[1].find("\"gaps\":0") != std::string::npos);
}

TEST_CASE("tap prints a block") {
  std::string instance = test::unique_instance("tap");
  std::string name = object_name(instance, "test");
  test::ObjectCleanup cleanup(name);
  auto writer = BlockWriter<TestRecord>::open(name, false);

  test::CommandResult empty = test::run_command(tap() + " " + instance + " test");
  CHECK(empty.status == 0);
  CHECK(empty.err.find("has no record yet") != std::string::npos);

  writer.publish(test::make_test_record(5));
  test::CommandResult one = test::run_command(tap() + " " + instance + " test --format json");
  CHECK(one.status == 0);
  CHECK(one.out.rfind("{\"version\":1,\"epoch\":1,\"index\":5,", 0) == 0);
}

TEST_CASE("tap errors name the object and the fix") {
  std::string instance = test::unique_instance("tap");

  test::CommandResult missing = test::run_command(tap() + " " + instance + " samples");
  CHECK(missing.status == 1);
  CHECK(missing.err.find("wanctl." + instance + ".samples") != std::string::npos);
  CHECK(missing.err.find("It does not exist") != std::string::npos);

  std::string name = object_name(instance, "decisions");
  test::ObjectCleanup cleanup(name);
  int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_RDWR, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, 8192) == 0);
  std::vector<char> garbage(512, 'Q');
  REQUIRE(::write(fd, garbage.data(), garbage.size()) == 512);
  ::close(fd);
  test::CommandResult garbage_result = test::run_command(tap() + " " + instance + " decisions");
  CHECK(garbage_result.status == 1);
  CHECK(garbage_result.err.find("is not a wanctl object") != std::string::npos);
  CHECK(garbage_result.err.find("--recreate") != std::string::npos);

  test::CommandResult bad_name = test::run_command(tap() + " 'wan 1' samples");
  CHECK(bad_name.status == 1);
  CHECK(bad_name.err.find("invalid character") != std::string::npos);

  test::CommandResult bad_since = test::run_command(tap() + " " + instance + " samples --since soon");
  CHECK(bad_since.status == 2);
  CHECK(bad_since.err.find("invalid --since value 'soon'") != std::string::npos);
}

TEST_CASE("tap reports permission denied for another user") {
  if (::geteuid() != 0) {
    MESSAGE("skipped: needs root to run the tap as another user");
    return;
  }
  std::string instance = test::unique_instance("tap");
  std::string name = object_name(instance, "test");
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 16, false);

  test::CommandResult denied = test::run_command("setpriv --reuid=65534 --regid=65534 --clear-groups " + tap() +
                                                 " " + instance + " test");
  CHECK(denied.status == 1);
  CHECK(denied.err.find("Permission denied") != std::string::npos);
  CHECK(denied.err.find("owner/group read-write only") != std::string::npos);
}

TEST_CASE("tap header shows producer and consumer positions") {
  std::string instance = test::unique_instance("tap");
  std::string name = object_name(instance, "test");
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 16, false);
  auto consumer = RingReader<TestRecord>::consumer(name, 16);
  for (std::uint64_t i = 0; i < 5; ++i) {
    writer.push(test::make_test_record(i));
  }
  consumer.try_read();
  consumer.try_read();

  test::CommandResult header = test::run_command(tap() + " " + instance + " test --header --format json");
  CHECK(header.status == 0);
  CHECK(header.out.find("\"object\":\"" + name + "\"") != std::string::npos);
  CHECK(header.out.find("\"kind\":\"ring\"") != std::string::npos);
  CHECK(header.out.find("\"capacity\":16") != std::string::npos);
  CHECK(header.out.find("\"producer_pid\":" + std::to_string(::getpid())) != std::string::npos);
  CHECK(header.out.find("\"producer_alive\":1") != std::string::npos);
  CHECK(header.out.find("\"producer_epoch\":1") != std::string::npos);
  CHECK(header.out.find("\"write_index\":5") != std::string::npos);
  CHECK(header.out.find("\"consumer_index\":2") != std::string::npos);
}

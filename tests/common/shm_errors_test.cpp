// Attaching to objects that do not match, do not exist or cannot be created:
// each gives an error that names the object, the cause and the fix.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <vector>

#include "latest_block.hpp"
#include "object_name.hpp"
#include "ring.hpp"
#include "unique_name.hpp"

using namespace wanctl;

namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "";
}

}  // namespace

TEST_CASE("consumer rejects a ring of another capacity") {
  std::string name = object_name(test::unique_instance("mismatch"), "test");
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 8, false);

  std::string message = error_of([&] { RingReader<TestRecord>::consumer(name, 16); });
  CHECK(message.find(name) != std::string::npos);
  CHECK(message.find("expected ring of test_record (type 100), record 64 bytes, capacity 16") !=
        std::string::npos);
  CHECK(message.find("found ring of test_record (type 100), record 64 bytes, capacity 8") !=
        std::string::npos);
  CHECK(message.find("--recreate") != std::string::npos);
}

TEST_CASE("producer refuses a mismatched ring unless told to recreate it") {
  std::string name = object_name(test::unique_instance("mismatch"), "test");
  test::ObjectCleanup cleanup(name);
  { auto writer = RingWriter<TestRecord>::open(name, 8, false); }

  std::string message = error_of([&] { RingWriter<TestRecord>::open(name, 32, false); });
  CHECK(message.find("does not match this program") != std::string::npos);
  CHECK(message.find("--recreate") != std::string::npos);

  auto recreated = RingWriter<TestRecord>::open(name, 32, true);
  CHECK(recreated.capacity() == 32);
  CHECK(recreated.epoch() == 1);
  CHECK(recreated.write_index() == 0);
}

TEST_CASE("observer rejects an object that is not a wanctl object") {
  std::string name = object_name(test::unique_instance("garbage"), "test");
  test::ObjectCleanup cleanup(name);
  int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_RDWR, 0600);
  REQUIRE(fd >= 0);
  std::vector<char> garbage(4096, 'x');
  REQUIRE(::write(fd, garbage.data(), garbage.size()) == static_cast<ssize_t>(garbage.size()));
  ::close(fd);

  std::string message = error_of([&] { RingReader<TestRecord>::observer(name); });
  CHECK(message.find(name) != std::string::npos);
  CHECK(message.find("is not a wanctl object") != std::string::npos);
  CHECK(message.find("found 0x7878787878787878") != std::string::npos);
}

TEST_CASE("observer rejects an object smaller than a header") {
  std::string name = object_name(test::unique_instance("small"), "test");
  test::ObjectCleanup cleanup(name);
  int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_RDWR, 0600);
  REQUIRE(fd >= 0);
  REQUIRE(::ftruncate(fd, 16) == 0);
  ::close(fd);

  std::string message = error_of([&] { RingReader<TestRecord>::observer(name); });
  CHECK(message.find("is 16 bytes, smaller than a wanctl header") != std::string::npos);
}

TEST_CASE("observer reports a missing object with what to start") {
  std::string name = object_name(test::unique_instance("missing"), "samples");
  std::string message = error_of([&] { RingReader<ProbeSample>::observer(name); });
  CHECK(message.find(name) != std::string::npos);
  CHECK(message.find("It does not exist") != std::string::npos);
}

TEST_CASE("observer rejects a ring of another record type") {
  std::string name = object_name(test::unique_instance("type"), "test");
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 8, false);
  std::string message = error_of([&] { RingReader<ProbeSample>::observer(name); });
  CHECK(message.find("is a ring of test_record, not a ring of probe_sample") != std::string::npos);
}

TEST_CASE("block reader rejects a ring") {
  std::string name = object_name(test::unique_instance("kind"), "test");
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 8, false);
  std::string message = error_of([&] { BlockReader<TestRecord>::open(name); });
  CHECK(message.find("not a block of test_record") != std::string::npos);
}

TEST_CASE("instance names are validated") {
  CHECK(error_of([] { object_name("", "samples"); }).find("instance name is empty") != std::string::npos);
  CHECK(error_of([] { object_name("wan/1", "samples"); }).find("invalid character") != std::string::npos);
  CHECK(error_of([] { object_name(std::string(300, 'a'), "samples"); }).find("the maximum is 64") !=
        std::string::npos);
}

TEST_CASE("an object name longer than the system allows is reported") {
  std::string name = "wanctl." + std::string(300, 'n') + ".test";
  std::string message = error_of([&] { RingWriter<TestRecord>::open(name, 8, false); });
  CHECK(message.find("cannot create shared-memory object wanctl.nnn") != std::string::npos);
  CHECK(message.find("name is too long") != std::string::npos);
}

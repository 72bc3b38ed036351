// Ring behaviour within one process: order, wrap-around, overrun, torn slots,
// consumer resume and producer restart.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <atomic>
#include <thread>
#include <vector>

#include "object_name.hpp"
#include "ring.hpp"
#include "test_records.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using wanctl::test::is_intact;
using wanctl::test::make_test_record;

namespace {

std::string test_ring_name() { return object_name(test::unique_instance("ring"), "test"); }

}  // namespace

TEST_CASE("ring keeps order across wrap-around") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 8, false);
  auto reader = RingReader<TestRecord>::consumer(name, 8);

  for (std::uint64_t i = 0; i < 100; ++i) {
    CHECK(writer.push(make_test_record(i)) == i);
    auto entry = reader.try_read();
    REQUIRE(entry.has_value());
    CHECK(entry->index == i);
    CHECK(entry->record.index == i);
    CHECK(is_intact(entry->record));
  }
  CHECK_FALSE(reader.try_read().has_value());
  CHECK(reader.lost() == 0);
}

TEST_CASE("ring reader lapped by producer counts lost records") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 8, false);
  auto reader = RingReader<TestRecord>::consumer(name, 8);

  for (std::uint64_t i = 0; i < 20; ++i) {
    writer.push(make_test_record(i));
  }

  std::vector<std::uint64_t> seen;
  while (auto entry = reader.try_read()) {
    CHECK(is_intact(entry->record));
    seen.push_back(entry->record.index);
  }
  REQUIRE(seen.size() == 8);
  CHECK(seen.front() == 12);
  CHECK(seen.back() == 19);
  CHECK(reader.lost() == 12);
}

TEST_CASE("ring observer does not move the consumer cursor") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 16, false);
  auto consumer = RingReader<TestRecord>::consumer(name, 16);
  auto observer = RingReader<TestRecord>::observer(name);

  for (std::uint64_t i = 0; i < 5; ++i) {
    writer.push(make_test_record(i));
  }
  int observed = 0;
  while (observer.try_read()) {
    ++observed;
  }
  CHECK(observed == 5);

  auto first = consumer.try_read();
  REQUIRE(first.has_value());
  CHECK(first->index == 0);
}

TEST_CASE("ring consumer resumes at the stored cursor") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 16, false);
  for (std::uint64_t i = 0; i < 10; ++i) {
    writer.push(make_test_record(i));
  }

  {
    auto first_consumer = RingReader<TestRecord>::consumer(name, 16);
    for (int i = 0; i < 4; ++i) {
      REQUIRE(first_consumer.try_read().has_value());
    }
  }

  auto second_consumer = RingReader<TestRecord>::consumer(name, 16);
  auto entry = second_consumer.try_read();
  REQUIRE(entry.has_value());
  CHECK(entry->index == 4);
}

TEST_CASE("ring producer restart bumps epoch and continues") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  std::uint64_t first_epoch = 0;
  {
    auto writer = RingWriter<TestRecord>::open(name, 16, false);
    first_epoch = writer.epoch();
    for (std::uint64_t i = 0; i < 3; ++i) {
      writer.push(make_test_record(i));
    }
  }

  auto restarted = RingWriter<TestRecord>::open(name, 16, false);
  CHECK(restarted.epoch() == first_epoch + 1);
  CHECK(restarted.write_index() == 3);
  CHECK(restarted.push(make_test_record(3)) == 3);
}

TEST_CASE("ring detects torn slots under a concurrent writer") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 16, false);
  auto observer = RingReader<TestRecord>::observer(name);

  constexpr std::uint64_t kRecords = 2'000'000;
  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kRecords; ++i) {
      writer.push(make_test_record(i));
    }
    done.store(true);
  });

  std::uint64_t read = 0;
  std::uint64_t torn = 0;
  std::uint64_t out_of_order = 0;
  std::uint64_t previous = 0;
  bool first = true;
  while (!done.load() || observer.available()) {
    auto entry = observer.try_read();
    if (!entry) {
      continue;
    }
    ++read;
    torn += is_intact(entry->record) ? 0 : 1;
    out_of_order += (!first && entry->record.index <= previous) ? 1 : 0;
    CHECK(entry->record.index == entry->index);
    previous = entry->record.index;
    first = false;
  }
  producer.join();

  CHECK(torn == 0);
  CHECK(out_of_order == 0);
  CHECK(read > 0);
  CHECK(read + observer.lost() == kRecords);
  MESSAGE("read " << read << " records, lost " << observer.lost() << " to overrun");
}

TEST_CASE("ring wait wakes on push and times out when idle") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 16, false);
  auto reader = RingReader<TestRecord>::consumer(name, 16);

  auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(reader.wait(std::chrono::milliseconds(20)));
  CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(15));

  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    writer.push(make_test_record(0));
  });
  start = std::chrono::steady_clock::now();
  bool woke = reader.wait(std::chrono::seconds(10));
  auto waited = std::chrono::steady_clock::now() - start;
  producer.join();
  CHECK(woke);
  CHECK(waited < std::chrono::seconds(5));
}

TEST_CASE("ring objects are owner and group read-write only") {
  std::string name = test_ring_name();
  test::ObjectCleanup cleanup(name);
  auto writer = RingWriter<TestRecord>::open(name, 8, false);
  struct stat status {};
  REQUIRE(::stat(object_path(name).c_str(), &status) == 0);
  CHECK((status.st_mode & 0777) == 0660);
}

TEST_CASE("ring capacity must be a power of two") {
  CHECK_THROWS_WITH_AS(RingWriter<TestRecord>::open(test_ring_name(), 12, false),
                       doctest::Contains("use a power of two"), ShmError);
}

// Latest-value blocks: readers get whole versions, never a mix of two.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "latest_block.hpp"
#include "object_name.hpp"
#include "test_records.hpp"
#include "unique_name.hpp"

using namespace wanctl;
using wanctl::test::is_intact;
using wanctl::test::make_test_record;

TEST_CASE("block is empty until the first publish") {
  std::string name = object_name(test::unique_instance("block"), "test");
  test::ObjectCleanup cleanup(name);
  auto writer = BlockWriter<TestRecord>::open(name, false);
  auto reader = BlockReader<TestRecord>::open(name);
  CHECK_FALSE(reader.read().has_value());

  writer.publish(make_test_record(7));
  auto snapshot = reader.read();
  REQUIRE(snapshot.has_value());
  CHECK(snapshot->record.index == 7);
  CHECK(snapshot->version == 1);
  CHECK(snapshot->epoch == 1);
}

TEST_CASE("block readers never see a torn record under concurrent updates") {
  std::string name = object_name(test::unique_instance("block"), "test");
  test::ObjectCleanup cleanup(name);
  auto writer = BlockWriter<TestRecord>::open(name, false);
  auto reader = BlockReader<TestRecord>::open(name);

  std::atomic<bool> done{false};
  std::thread producer([&] {
    for (std::uint64_t i = 1; i <= 1'000'000; ++i) {
      writer.publish(make_test_record(i));
    }
    done.store(true);
  });

  std::uint64_t reads = 0;
  std::uint64_t torn = 0;
  std::uint64_t backwards = 0;
  std::uint64_t previous = 0;
  while (!done.load()) {
    auto snapshot = reader.read();
    if (!snapshot) {
      continue;
    }
    ++reads;
    torn += is_intact(snapshot->record) ? 0 : 1;
    backwards += snapshot->record.index < previous ? 1 : 0;
    CHECK(snapshot->record.index == snapshot->version);
    previous = snapshot->record.index;
  }
  producer.join();

  CHECK(reads > 0);
  CHECK(torn == 0);
  CHECK(backwards == 0);
  CHECK(reader.read()->record.index == 1'000'000);
}

TEST_CASE("block keeps its last record for a restarted producer") {
  std::string name = object_name(test::unique_instance("block"), "test");
  test::ObjectCleanup cleanup(name);
  {
    auto writer = BlockWriter<TestRecord>::open(name, false);
    CHECK_FALSE(writer.last_published().has_value());
    writer.publish(make_test_record(41));
  }
  auto restarted = BlockWriter<TestRecord>::open(name, false);
  auto restored = restarted.last_published();
  REQUIRE(restored.has_value());
  CHECK(restored->index == 41);
  CHECK(restarted.epoch() == 2);
}

TEST_CASE("block wait_newer wakes on publish") {
  std::string name = object_name(test::unique_instance("block"), "test");
  test::ObjectCleanup cleanup(name);
  auto writer = BlockWriter<TestRecord>::open(name, false);
  auto reader = BlockReader<TestRecord>::open(name);

  CHECK_FALSE(reader.wait_newer(0, std::chrono::milliseconds(10)));
  std::thread producer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    writer.publish(make_test_record(1));
  });
  CHECK(reader.wait_newer(0, std::chrono::seconds(10)));
  producer.join();
}

// TestRecord contents derived from the index, so a torn copy shows.
#pragma once

#include <cstdint>

#include "records.hpp"

namespace wanctl::test {

inline TestRecord make_test_record(std::uint64_t index) {
  TestRecord record{};
  record.index = index;
  for (std::uint64_t i = 0; i < 7; ++i) {
    record.check[i] = index * 0x9e3779b97f4a7c15ULL + i;
  }
  return record;
}

inline bool is_intact(const TestRecord& record) {
  TestRecord expected = make_test_record(record.index);
  for (int i = 0; i < 7; ++i) {
    if (record.check[i] != expected.check[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace wanctl::test

// A record slot guarded by a sequence number, shared by rings and blocks.
//
// The writer makes the sequence odd, copies the record, then makes it even
// again; a reader that sees the same even sequence before and after its copy
// has an intact record. The record is copied as 64-bit words through
// std::atomic_ref so that the concurrent copy is not a data race.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

namespace wanctl {

template <typename T>
concept ShmRecord = std::is_trivially_copyable_v<T> && sizeof(T) % sizeof(std::uint64_t) == 0 &&
                    alignof(T) <= alignof(std::uint64_t);

template <ShmRecord T>
struct Slot {
  static constexpr std::size_t kWords = sizeof(T) / sizeof(std::uint64_t);

  std::atomic<std::uint64_t> sequence;
  std::uint64_t words[kWords];

  void store_words(const T& record) {
    std::uint64_t source[kWords];
    std::memcpy(source, &record, sizeof(T));
    for (std::size_t i = 0; i < kWords; ++i) {
      std::atomic_ref<std::uint64_t>(words[i]).store(source[i], std::memory_order_relaxed);
    }
  }

  // Copies without writing to the slot; words are read through a const_cast
  // because atomic_ref needs a non-const object even for a load, and the
  // mapping of a read-only observer is never written.
  void load_words(T& record) const {
    std::uint64_t copy[kWords];
    auto* source = const_cast<std::uint64_t*>(words);
    for (std::size_t i = 0; i < kWords; ++i) {
      copy[i] = std::atomic_ref<std::uint64_t>(source[i]).load(std::memory_order_relaxed);
    }
    std::memcpy(&record, copy, sizeof(T));
  }

  // Writes record as version `sequence_even`, which must be even.
  void write(const T& record, std::uint64_t sequence_even) {
    sequence.store(sequence_even - 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    store_words(record);
    sequence.store(sequence_even, std::memory_order_release);
  }

  // Copies the record and returns the sequence it had, or returns 0 when the
  // slot was being written or changed during the copy.
  std::uint64_t read(T& record) const {
    std::uint64_t before = sequence.load(std::memory_order_acquire);
    if (before % 2 != 0) {
      return 0;
    }
    load_words(record);
    std::atomic_thread_fence(std::memory_order_acquire);
    std::uint64_t after = sequence.load(std::memory_order_relaxed);
    return before == after ? before : 0;
  }
};

template <ShmRecord T>
constexpr std::uint64_t slot_size_bytes() {
  return sizeof(Slot<T>);
}

}  // namespace wanctl

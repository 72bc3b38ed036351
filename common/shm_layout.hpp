// Fixed binary layout at the start of every wanctl shared-memory object.
//
// A ring and a latest-value block both begin with ShmHeader. The header says
// what the object holds (record type and size, capacity) and who produces it
// (pid, epoch, heartbeat), so that a peer built from other sources can tell a
// compatible object from garbage before it reads a single record.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wanctl {

// "WANCTL" followed by two marker bytes; written last when an object is created,
// so a peer that sees it also sees the rest of the header.
inline constexpr std::uint64_t kShmMagic = 0x57414e43544c0d0aULL;

// Bumped whenever ShmHeader, a slot layout or any record layout changes.
inline constexpr std::uint32_t kShmLayoutVersion = 3;

enum class ObjectKind : std::uint32_t { ring = 1, block = 2 };

enum class RecordType : std::uint32_t {
  probe_sample = 1,
  rate_decision = 2,
  link_telemetry = 3,
  estimator_status = 4,
  prober_status = 5,
  steering_status = 6,
  test_record = 100,  // used by the ring tests and the ring benchmark only
};

std::string_view to_string(ObjectKind kind);
std::string_view to_string(RecordType type);

// Every shared atomic must be lock-free across processes; a lock-based
// fallback would live in one process's memory and protect nothing.
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);
static_assert(std::atomic<std::uint32_t>::is_always_lock_free);

inline constexpr std::size_t kCacheLineBytes = 64;

struct ShmHeader {
  // Identity, written once at creation and then only read.
  std::atomic<std::uint64_t> magic;
  std::uint32_t layout_version;
  ObjectKind kind;
  RecordType record_type;
  std::uint32_t record_size_bytes;
  std::uint64_t capacity;  // slots in a ring, 1 for a block
  std::uint64_t slot_size_bytes;
  std::uint64_t total_size_bytes;

  // Producer identity; the epoch counts producer starts since creation.
  std::atomic<std::uint64_t> producer_pid;
  std::atomic<std::uint64_t> producer_epoch;
  // CLOCK_MONOTONIC of the producer's last sign of life, nanoseconds.
  std::atomic<std::int64_t> producer_heartbeat_ns;

  // Producer side: count of records ever published (the next record's index).
  alignas(kCacheLineBytes) std::atomic<std::uint64_t> write_index;
  // Futex word bumped after every publish; readers sleep on it.
  std::atomic<std::uint32_t> wake_sequence;
  // Readers that may be asleep on wake_sequence; the producer skips the wake
  // system call while it is zero.
  std::atomic<std::uint32_t> sleeping_readers;

  // Consumer side: index of the next record the consumer will read. It lives
  // here so that a restarted consumer resumes where the last one stopped.
  alignas(kCacheLineBytes) std::atomic<std::uint64_t> consumer_index;
  // Records the consumer never saw because the producer lapped it.
  std::atomic<std::uint64_t> consumer_lost;
  // CLOCK_MONOTONIC of the consumer's last read or wait, nanoseconds.
  std::atomic<std::int64_t> consumer_heartbeat_ns;
  std::atomic<std::uint64_t> consumer_pid;
};

inline constexpr std::size_t kShmHeaderBytes = 256;
static_assert(sizeof(ShmHeader) <= kShmHeaderBytes);

}  // namespace wanctl

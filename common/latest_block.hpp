// Latest-value block: one record in shared memory that the producer replaces
// as a whole (status, telemetry, control snapshots). Readers always get the
// newest complete version, never a mix of two, by a sequence lock.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "futex.hpp"
#include "mono_time.hpp"
#include "record_traits.hpp"
#include "shared_object.hpp"
#include "slot.hpp"

namespace wanctl {

template <ShmRecord T>
ObjectSpec block_spec(const std::string& name) {
  ObjectSpec spec;
  spec.name = name;
  spec.kind = ObjectKind::block;
  spec.record_type = RecordTraits<T>::type;
  spec.record_size_bytes = sizeof(T);
  spec.capacity = 1;
  spec.slot_size_bytes = slot_size_bytes<T>();
  return spec;
}

template <ShmRecord T>
class BlockWriter {
 public:
  static BlockWriter open(const std::string& name, bool recreate) {
    return BlockWriter(SharedObject::open_producer(block_spec<T>(name), recreate));
  }

  // Replaces the block's record. Never blocks.
  void publish(const T& record) {
    std::uint64_t version = header_->write_index.load(std::memory_order_relaxed) + 1;
    slot().write(record, 2 * version);
    header_->write_index.store(version, std::memory_order_seq_cst);
    header_->producer_heartbeat_ns.store(monotonic_now_ns(), std::memory_order_relaxed);
    header_->wake_sequence.fetch_add(1, std::memory_order_seq_cst);
    if (header_->sleeping_readers.load(std::memory_order_seq_cst) != 0) {
      futex_wake_all(header_->wake_sequence);
    }
  }

  // Returns the record last published, e.g. by a previous run of this
  // producer, so that a restarted stage can restore its state.
  std::optional<T> last_published() const {
    if (header_->write_index.load(std::memory_order_acquire) == 0) {
      return std::nullopt;
    }
    T record{};
    if (slot().read(record) == 0) {
      return std::nullopt;  // a previous producer died mid-write
    }
    return record;
  }

  void heartbeat(std::int64_t now_ns) {
    header_->producer_heartbeat_ns.store(now_ns, std::memory_order_relaxed);
  }

  std::uint64_t epoch() const { return header_->producer_epoch.load(std::memory_order_relaxed); }
  const std::string& name() const { return object_.name(); }

 private:
  explicit BlockWriter(SharedObject object) : object_(std::move(object)), header_(&object_.header()) {}

  Slot<T>& slot() const { return *reinterpret_cast<Slot<T>*>(object_.slots()); }

  SharedObject object_;
  ShmHeader* header_;
};

// One version of a block's record.
template <ShmRecord T>
struct BlockSnapshot {
  T record;
  std::uint64_t version;          // count of publishes so far, 1 for the first
  std::uint64_t epoch;            // producer starts since creation
  std::int64_t heartbeat_ns;      // producer's last sign of life, CLOCK_MONOTONIC
};

template <ShmRecord T>
class BlockReader {
 public:
  static constexpr std::chrono::milliseconds kRecheck{50};
  static constexpr int kReadAttempts = 1000;

  // Attaches read-only; readers never write to a block.
  static BlockReader open(const std::string& name) {
    SharedObject object = SharedObject::open_any_read_only(name);
    const ShmHeader& header = object.header();
    if (header.kind != ObjectKind::block || header.record_type != RecordTraits<T>::type) {
      throw ShmError("shared-memory object " + name + " is a " + std::string(to_string(header.kind)) +
                     " of " + std::string(to_string(header.record_type)) + ", not a block of " +
                     std::string(to_string(RecordTraits<T>::type)));
    }
    return BlockReader(std::move(object));
  }

  // Returns the newest complete record, or nothing when none was published yet
  // or the writer kept it busy for every attempt.
  std::optional<BlockSnapshot<T>> read() const {
    const ShmHeader& header = object_.header();
    for (int attempt = 0; attempt < kReadAttempts; ++attempt) {
      if (header.write_index.load(std::memory_order_acquire) == 0) {
        return std::nullopt;
      }
      BlockSnapshot<T> snapshot{};
      std::uint64_t sequence = slot().read(snapshot.record);
      if (sequence != 0) {
        snapshot.version = sequence / 2;
        snapshot.epoch = header.producer_epoch.load(std::memory_order_acquire);
        snapshot.heartbeat_ns = header.producer_heartbeat_ns.load(std::memory_order_relaxed);
        return snapshot;
      }
    }
    return std::nullopt;
  }

  // Sleeps until a version newer than `version` is published or timeout passes.
  // A read-only mapping cannot register as a sleeper, so the wait is cut into
  // rechecks of kRecheck.
  bool wait_newer(std::uint64_t version, std::chrono::nanoseconds timeout) const {
    const ShmHeader& header = object_.header();
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      std::uint32_t sequence = header.wake_sequence.load(std::memory_order_seq_cst);
      if (header.write_index.load(std::memory_order_seq_cst) > version) {
        return true;
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return false;
      }
      auto remaining = std::min<std::chrono::nanoseconds>(deadline - now, kRecheck);
      futex_wait(header.wake_sequence, sequence, remaining);
    }
  }

  std::uint64_t version() const { return object_.header().write_index.load(std::memory_order_acquire); }
  std::uint64_t epoch() const { return object_.header().producer_epoch.load(std::memory_order_acquire); }
  const SharedObject& object() const { return object_; }

 private:
  explicit BlockReader(SharedObject object) : object_(std::move(object)) {}

  const Slot<T>& slot() const { return *reinterpret_cast<const Slot<T>*>(object_.slots()); }

  SharedObject object_;
};

}  // namespace wanctl

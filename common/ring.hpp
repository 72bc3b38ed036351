// Single-producer ring of fixed-size records in POSIX shared memory.
//
// The producer never waits for readers: it overwrites the oldest slot, and a
// reader that fell more than a ring behind notices from the slot sequence,
// skips ahead and counts what it lost. One consumer owns the cursor stored in
// the header, so a restarted consumer resumes where the last one stopped; any
// number of observers map the object read-only and follow without touching
// it. Measured throughput and wake latency are in docs/BENCHMARKS.md.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <unistd.h>

#include "futex.hpp"
#include "mono_time.hpp"
#include "record_traits.hpp"
#include "shared_object.hpp"
#include "slot.hpp"

namespace wanctl {

template <ShmRecord T>
ObjectSpec ring_spec(const std::string& name, std::uint64_t capacity) {
  ObjectSpec spec;
  spec.name = name;
  spec.kind = ObjectKind::ring;
  spec.record_type = RecordTraits<T>::type;
  spec.record_size_bytes = sizeof(T);
  spec.capacity = capacity;
  spec.slot_size_bytes = slot_size_bytes<T>();
  return spec;
}

// Returns an error message when capacity is unusable, or an empty string.
inline std::string ring_capacity_error(std::uint64_t capacity) {
  if (capacity < 2 || capacity > (1ULL << 24) || (capacity & (capacity - 1)) != 0) {
    return "ring capacity " + std::to_string(capacity) +
           " is invalid; use a power of two from 2 to 16777216";
  }
  return {};
}

template <ShmRecord T>
class RingWriter {
 public:
  // Creates the ring or attaches to the existing one and continues from its
  // stored write index with a new epoch (see SharedObject::open_producer).
  static RingWriter open(const std::string& name, std::uint64_t capacity, bool recreate) {
    std::string error = ring_capacity_error(capacity);
    if (!error.empty()) {
      throw ShmError("cannot create ring " + name + ": " + error);
    }
    return RingWriter(SharedObject::open_producer(ring_spec<T>(name, capacity), recreate));
  }

  // Publishes one record and returns its index. Never blocks.
  std::uint64_t push(const T& record) {
    std::uint64_t index = next_index_;
    slot_at(index).write(record, 2 * index + 2);
    next_index_ = index + 1;

    // The store and the load are sequentially consistent, as are the sleeping
    // reader's increment and its recheck of write_index: so either the reader
    // sees this record before it sleeps, or this load sees the reader and
    // wakes it. The wake word is touched only then, which keeps the shared
    // cache line quiet while nobody sleeps.
    header_->write_index.store(next_index_, std::memory_order_seq_cst);
    if (header_->sleeping_readers.load(std::memory_order_seq_cst) != 0) {
      header_->wake_sequence.fetch_add(1, std::memory_order_seq_cst);
      futex_wake_all(header_->wake_sequence);
    }
    return index;
  }

  // Records a sign of life for health checks while there is nothing to push.
  void heartbeat(std::int64_t now_ns) {
    header_->producer_heartbeat_ns.store(now_ns, std::memory_order_relaxed);
  }

  std::uint64_t write_index() const { return next_index_; }
  std::uint64_t epoch() const { return header_->producer_epoch.load(std::memory_order_relaxed); }
  std::uint64_t capacity() const { return capacity_; }
  const std::string& name() const { return object_.name(); }

 private:
  explicit RingWriter(SharedObject object)
      : object_(std::move(object)),
        header_(&object_.header()),
        capacity_(header_->capacity),
        next_index_(header_->write_index.load(std::memory_order_acquire)) {}

  Slot<T>& slot_at(std::uint64_t index) {
    return reinterpret_cast<Slot<T>*>(object_.slots())[index & (capacity_ - 1)];
  }

  SharedObject object_;
  ShmHeader* header_;
  std::uint64_t capacity_;
  std::uint64_t next_index_;
};

// A record read from a ring with its index (the count of records before it).
template <ShmRecord T>
struct RingEntry {
  T record;
  std::uint64_t index;
};

template <ShmRecord T>
class RingReader {
 public:
  // An observer that is not woken by a sleeping consumer rechecks this often,
  // because a read-only mapping cannot register as a sleeper.
  static constexpr std::chrono::milliseconds kObserverRecheck{50};

  // Attaches as the ring's one consumer: resumes at the stored cursor and
  // advances it with every read.
  static RingReader consumer(const std::string& name, std::uint64_t capacity) {
    SharedObject object = SharedObject::open_existing(ring_spec<T>(name, capacity), AccessMode::read_write);
    RingReader reader(std::move(object), true);
    ShmHeader& header = reader.object_.header();
    // A consumer killed while asleep left its registration behind.
    header.sleeping_readers.store(0, std::memory_order_relaxed);
    header.consumer_pid.store(static_cast<std::uint64_t>(::getpid()), std::memory_order_relaxed);
    reader.position_ = header.consumer_index.load(std::memory_order_acquire);
    return reader;
  }

  // Attaches read-only, starting at the newest record; see seek_oldest().
  static RingReader observer(const std::string& name) {
    SharedObject object = SharedObject::open_any_read_only(name);
    check_type(object);
    RingReader reader(std::move(object), false);
    reader.position_ = reader.header().write_index.load(std::memory_order_acquire);
    return reader;
  }

  // Returns the next record, or nothing when the reader is at the head.
  std::optional<RingEntry<T>> try_read() {
    for (;;) {
      // The producer's index is reloaded only when the cached one is used up,
      // so a reader that keeps up does not pull that cache line every record.
      if (position_ >= cached_head_ && !reload_head()) {
        return std::nullopt;
      }

      RingEntry<T> entry{};
      std::uint64_t expected = 2 * position_ + 2;
      std::uint64_t sequence = slot_at(position_).read(entry.record);
      if (sequence == expected) {
        entry.index = position_;
        advance();
        return entry;
      }
      if (sequence != 0 && sequence < expected) {
        return std::nullopt;  // not visible yet; cannot happen after the acquire in reload_head
      }

      // Zero or a later sequence: the producer lapped us. Skip what is gone.
      if (!reload_head()) {
        return std::nullopt;
      }
      if (slot_at(position_).sequence.load(std::memory_order_acquire) != expected) {
        count_lost(1);
        advance();
      }
    }
  }

  // Sleeps until a record is available or timeout passes; true when one is.
  bool wait(std::chrono::nanoseconds timeout) {
    if (available()) {
      return true;
    }
    ShmHeader& shared = header();
    std::uint32_t sequence = shared.wake_sequence.load(std::memory_order_seq_cst);
    if (is_consumer_) {
      shared.consumer_heartbeat_ns.store(monotonic_now_ns(), std::memory_order_relaxed);
      shared.sleeping_readers.fetch_add(1, std::memory_order_seq_cst);
    } else if (timeout > kObserverRecheck) {
      timeout = kObserverRecheck;
    }
    if (!available()) {
      futex_wait(shared.wake_sequence, sequence, timeout);
    }
    if (is_consumer_) {
      shared.sleeping_readers.fetch_sub(1, std::memory_order_seq_cst);
    }
    return available();
  }

  bool available() const {
    return header().write_index.load(std::memory_order_seq_cst) != position_;
  }

  // Moves an observer to the oldest record still in the ring.
  void seek_oldest() {
    std::uint64_t head = header().write_index.load(std::memory_order_acquire);
    position_ = head > capacity_ ? head - capacity_ : 0;
    cached_head_ = head;
  }

  // Moves an observer to `index`, limited to the records still in the ring.
  void seek_to(std::uint64_t index) {
    std::uint64_t head = header().write_index.load(std::memory_order_acquire);
    std::uint64_t oldest = head > capacity_ ? head - capacity_ : 0;
    position_ = std::clamp(index, oldest, head);
    cached_head_ = head;
  }

  std::uint64_t position() const { return position_; }
  std::uint64_t lost() const { return lost_; }
  std::uint64_t head() const { return header().write_index.load(std::memory_order_acquire); }
  std::uint64_t epoch() const { return header().producer_epoch.load(std::memory_order_acquire); }
  std::uint64_t capacity() const { return capacity_; }
  const SharedObject& object() const { return object_; }

 private:
  RingReader(SharedObject object, bool is_consumer)
      : object_(std::move(object)), is_consumer_(is_consumer), capacity_(header().capacity) {}

  static void check_type(const SharedObject& object) {
    const ShmHeader& header = object.header();
    if (header.kind != ObjectKind::ring || header.record_type != RecordTraits<T>::type) {
      throw ShmError("shared-memory object " + object.name() + " is a " +
                     std::string(to_string(header.kind)) + " of " +
                     std::string(to_string(header.record_type)) + ", not a ring of " +
                     std::string(to_string(RecordTraits<T>::type)));
    }
  }

  ShmHeader& header() const { return object_.header(); }

  const Slot<T>& slot_at(std::uint64_t index) const {
    return reinterpret_cast<const Slot<T>*>(object_.slots())[index & (capacity_ - 1)];
  }

  // Reads the producer's index and skips records that were overwritten.
  // Returns false when there is nothing to read.
  bool reload_head() {
    std::uint64_t head = header().write_index.load(std::memory_order_acquire);
    if (position_ >= head) {
      // Only a recreated ring starts below our position.
      position_ = head;
      cached_head_ = head;
      return false;
    }
    if (head - position_ > capacity_) {
      count_lost(head - position_ - capacity_);
      position_ = head - capacity_;
    }
    cached_head_ = head;
    return true;
  }

  void advance() {
    ++position_;
    if (is_consumer_) {
      header().consumer_index.store(position_, std::memory_order_release);
    }
  }

  void count_lost(std::uint64_t count) {
    lost_ += count;
    if (is_consumer_) {
      header().consumer_lost.fetch_add(count, std::memory_order_relaxed);
    }
  }

  SharedObject object_;
  bool is_consumer_;
  std::uint64_t capacity_;
  std::uint64_t position_ = 0;     // index of the next record to read
  std::uint64_t cached_head_ = 0;  // producer's write index when last loaded
  std::uint64_t lost_ = 0;      // records skipped because the producer lapped this reader
};

}  // namespace wanctl

// One mapped POSIX shared-memory object with a validated ShmHeader.
//
// Objects are created through Boost.Interprocess shared_memory_object and
// mapped_region (never managed_shared_memory, whose internal mutex deadlocks
// every peer when a process dies holding it). The whole object is allocated
// with posix_fallocate at creation, so a full /dev/shm is reported at once
// instead of as SIGBUS on the first write to an unbacked page.
#pragma once

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "shm_layout.hpp"

namespace wanctl {

// A failure to create, open or validate a shared-memory object. The message
// names the object, the cause and what to do.
class ShmError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a program expects an object to hold.
struct ObjectSpec {
  std::string name;
  ObjectKind kind = ObjectKind::ring;
  RecordType record_type = RecordType::test_record;
  std::uint32_t record_size_bytes = 0;
  std::uint64_t capacity = 0;
  std::uint64_t slot_size_bytes = 0;

  std::uint64_t total_size_bytes() const { return kShmHeaderBytes + capacity * slot_size_bytes; }
};

enum class AccessMode { read_write, read_only };

class SharedObject {
 public:
  // Creates the object, or attaches to an existing one whose header matches the
  // spec, then bumps the producer epoch and records this process as producer.
  // A mismatched object is removed and created anew only when recreate is set;
  // otherwise ShmError says how to recreate it.
  static SharedObject open_producer(const ObjectSpec& spec, bool recreate);

  // Attaches to an existing object whose header matches the spec.
  static SharedObject open_existing(const ObjectSpec& spec, AccessMode mode);

  // Attaches read-only to an existing object of any known record type; used by
  // tools that learn the type from the header.
  static SharedObject open_any_read_only(const std::string& name);

  // Removes the name; mappings that are open stay valid.
  static void remove(const std::string& name);

  const std::string& name() const { return name_; }
  ShmHeader& header() const { return *static_cast<ShmHeader*>(region_.get_address()); }
  std::byte* slots() const { return static_cast<std::byte*>(region_.get_address()) + kShmHeaderBytes; }
  std::uint64_t inode() const { return inode_; }

  // True when the name now refers to another object than the mapped one (the
  // producer recreated it) or to nothing.
  bool replaced_by_name() const;

 private:
  SharedObject(std::string name, boost::interprocess::shared_memory_object object,
               boost::interprocess::mapped_region region);

  std::string name_;
  boost::interprocess::shared_memory_object object_;
  boost::interprocess::mapped_region region_;
  std::uint64_t inode_ = 0;
};

// Returns the size a record of this type has in this build, or 0 for a type
// this build does not know.
std::uint32_t known_record_size(RecordType type);

}  // namespace wanctl

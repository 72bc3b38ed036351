#include "shared_object.hpp"

#include <boost/interprocess/exceptions.hpp>
#include <boost/interprocess/permissions.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

#include "mono_time.hpp"
#include "object_name.hpp"

namespace bip = boost::interprocess;

namespace wanctl {
namespace {

// Owner and group read-write: the stages of one site run as one group.
constexpr unsigned kObjectPermissions = 0660;

// A creator fills the header and writes the magic last; a peer that opens the
// object in between waits this long for it before calling the object invalid.
constexpr std::chrono::milliseconds kHeaderWait{1000};

std::string recreate_hint(const std::string& name) {
  return "Stop its producer and start it with --recreate to recreate the object, "
         "or remove " + object_path(name) + ".";
}

[[noreturn]] void throw_open_error(const std::string& name, const char* action, int error) {
  std::ostringstream message;
  message << "cannot " << action << " shared-memory object " << name << " ("
          << object_path(name) << "): " << std::strerror(error) << ". ";
  switch (error) {
    case ENOENT:
      message << "It does not exist: start the stage that produces it for this instance first.";
      break;
    case EACCES:
    case EPERM:
      message << "Run as the user or group that owns it; objects are owner/group read-write only.";
      break;
    case ENAMETOOLONG:
      message << "The name is too long; use a shorter instance name.";
      break;
    case ENOSPC:
    case ENOMEM:
      message << "/dev/shm is full; free space there (df -h /dev/shm) or lower the ring capacity.";
      break;
    default:
      message << "Check that /dev/shm is a writable tmpfs.";
      break;
  }
  throw ShmError(message.str());
}

// Boost reports an over-long name as EINVAL; check it first for a clear cause.
void check_name_length(const std::string& name, const char* action) {
  if (name.size() + 1 > NAME_MAX) {
    throw_open_error(name, action, ENAMETOOLONG);
  }
}

int native_error(const bip::interprocess_exception& exception) {
  int error = exception.get_native_error();
  return error != 0 ? error : EIO;
}

std::string describe(ObjectKind kind, RecordType type, std::uint64_t record_size,
                     std::uint64_t capacity, std::uint64_t layout_version) {
  std::ostringstream text;
  text << to_string(kind) << " of " << to_string(type) << " (type " << static_cast<unsigned>(type)
       << "), record " << record_size << " bytes, capacity " << capacity << ", layout version "
       << layout_version;
  return text.str();
}

// Waits for the creator to publish the magic, then checks it.
void check_magic(const std::string& name, const ShmHeader& header) {
  auto deadline = std::chrono::steady_clock::now() + kHeaderWait;
  while (header.magic.load(std::memory_order_acquire) == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::uint64_t magic = header.magic.load(std::memory_order_acquire);
  if (magic != kShmMagic) {
    std::ostringstream message;
    message << "shared-memory object " << name << " is not a wanctl object: expected magic 0x"
            << std::hex << kShmMagic << ", found 0x" << magic << ". " << recreate_hint(name);
    throw ShmError(message.str());
  }
}

void check_matches(const std::string& name, const ShmHeader& header, const ObjectSpec& spec) {
  bool matches = header.layout_version == kShmLayoutVersion && header.kind == spec.kind &&
                 header.record_type == spec.record_type &&
                 header.record_size_bytes == spec.record_size_bytes &&
                 header.capacity == spec.capacity && header.slot_size_bytes == spec.slot_size_bytes &&
                 header.total_size_bytes == spec.total_size_bytes();
  if (!matches) {
    throw ShmError("shared-memory object " + name + " does not match this program: expected " +
                   describe(spec.kind, spec.record_type, spec.record_size_bytes, spec.capacity,
                            kShmLayoutVersion) +
                   "; found " +
                   describe(header.kind, header.record_type, header.record_size_bytes,
                            header.capacity, header.layout_version) +
                   ". " + recreate_hint(name));
  }
}

std::uint64_t object_size(const std::string& name, const bip::shared_memory_object& object) {
  bip::offset_t size = 0;
  if (!object.get_size(size) || size < 0) {
    throw_open_error(name, "read the size of", errno != 0 ? errno : EIO);
  }
  return static_cast<std::uint64_t>(size);
}

std::uint64_t inode_of(const bip::shared_memory_object& object) {
  struct stat status {};
  if (::fstat(object.get_mapping_handle().handle, &status) != 0) {
    return 0;
  }
  return status.st_ino;
}

// Creates a new object of the spec's size with a complete header, or returns
// false when an object of that name exists already.
bool try_create(const ObjectSpec& spec, bip::shared_memory_object& created) {
  bip::shared_memory_object object;
  try {
    object = bip::shared_memory_object(bip::create_only, spec.name.c_str(), bip::read_write,
                                       bip::permissions(kObjectPermissions));
  } catch (const bip::interprocess_exception& exception) {
    int error = native_error(exception);
    if (error == EEXIST) {
      return false;
    }
    throw_open_error(spec.name, "create", error);
  }

  int allocation_error = ::posix_fallocate(object.get_mapping_handle().handle, 0,
                                           static_cast<off_t>(spec.total_size_bytes()));
  if (allocation_error != 0) {
    bip::shared_memory_object::remove(spec.name.c_str());
    throw_open_error(spec.name, "allocate", allocation_error);
  }

  bip::mapped_region region(object, bip::read_write);
  auto* header = new (region.get_address()) ShmHeader{};
  header->layout_version = kShmLayoutVersion;
  header->kind = spec.kind;
  header->record_type = spec.record_type;
  header->record_size_bytes = spec.record_size_bytes;
  header->capacity = spec.capacity;
  header->slot_size_bytes = spec.slot_size_bytes;
  header->total_size_bytes = spec.total_size_bytes();
  header->magic.store(kShmMagic, std::memory_order_release);

  created = std::move(object);
  return true;
}

}  // namespace

SharedObject::SharedObject(std::string name, bip::shared_memory_object object,
                           bip::mapped_region region)
    : name_(std::move(name)), object_(std::move(object)), region_(std::move(region)) {
  inode_ = inode_of(object_);
}

SharedObject SharedObject::open_producer(const ObjectSpec& spec, bool recreate) {
  check_name_length(spec.name, "create");
  for (int attempt = 0; attempt < 2; ++attempt) {
    bip::shared_memory_object created;
    if (try_create(spec, created)) {
      bip::mapped_region region(created, bip::read_write);
      SharedObject shared(spec.name, std::move(created), std::move(region));
      shared.header().producer_pid.store(static_cast<std::uint64_t>(::getpid()));
      shared.header().producer_epoch.store(1, std::memory_order_release);
      shared.header().producer_heartbeat_ns.store(monotonic_now_ns());
      return shared;
    }

    try {
      SharedObject shared = open_existing(spec, AccessMode::read_write);
      shared.header().producer_pid.store(static_cast<std::uint64_t>(::getpid()));
      shared.header().producer_epoch.fetch_add(1, std::memory_order_acq_rel);
      shared.header().producer_heartbeat_ns.store(monotonic_now_ns());
      return shared;
    } catch (const ShmError&) {
      if (!recreate || attempt > 0) {
        throw;
      }
      remove(spec.name);
    }
  }
  throw ShmError("cannot create shared-memory object " + spec.name +
                 ": another process recreated it at the same time; start one producer only");
}

SharedObject SharedObject::open_existing(const ObjectSpec& spec, AccessMode mode) {
  SharedObject shared = open_any_read_only(spec.name);
  check_matches(spec.name, shared.header(), spec);
  if (mode == AccessMode::read_only) {
    return shared;
  }

  bip::shared_memory_object object;
  try {
    object = bip::shared_memory_object(bip::open_only, spec.name.c_str(), bip::read_write);
  } catch (const bip::interprocess_exception& exception) {
    throw_open_error(spec.name, "open for writing", native_error(exception));
  }
  bip::mapped_region region(object, bip::read_write);
  return SharedObject(spec.name, std::move(object), std::move(region));
}

SharedObject SharedObject::open_any_read_only(const std::string& name) {
  check_name_length(name, "open");
  bip::shared_memory_object object;
  try {
    object = bip::shared_memory_object(bip::open_only, name.c_str(), bip::read_only);
  } catch (const bip::interprocess_exception& exception) {
    throw_open_error(name, "open", native_error(exception));
  }

  std::uint64_t size = object_size(name, object);
  if (size < kShmHeaderBytes) {
    throw ShmError("shared-memory object " + name + " is " + std::to_string(size) +
                   " bytes, smaller than a wanctl header (" + std::to_string(kShmHeaderBytes) +
                   " bytes). " + recreate_hint(name));
  }

  bip::mapped_region region(object, bip::read_only);
  SharedObject shared(name, std::move(object), std::move(region));
  const ShmHeader& header = shared.header();
  check_magic(name, header);

  std::uint32_t expected_record_size = known_record_size(header.record_type);
  bool consistent = header.layout_version == kShmLayoutVersion && expected_record_size != 0 &&
                    header.record_size_bytes == expected_record_size &&
                    header.total_size_bytes == kShmHeaderBytes + header.capacity * header.slot_size_bytes &&
                    header.total_size_bytes <= size && header.capacity > 0;
  if (!consistent) {
    throw ShmError("shared-memory object " + name +
                   " has a header this build cannot read: expected layout version " +
                   std::to_string(kShmLayoutVersion) + " and record size " +
                   std::to_string(expected_record_size) + " bytes for its record type; found " +
                   describe(header.kind, header.record_type, header.record_size_bytes,
                            header.capacity, header.layout_version) +
                   ", " + std::to_string(size) + " bytes in all. " + recreate_hint(name));
  }
  return shared;
}

void SharedObject::remove(const std::string& name) {
  bip::shared_memory_object::remove(name.c_str());
}

bool SharedObject::replaced_by_name() const {
  struct stat status {};
  if (::stat(object_path(name_).c_str(), &status) != 0) {
    return true;
  }
  return status.st_ino != inode_;
}

}  // namespace wanctl

// Instance names and shared-memory cleanup for tests that run in parallel.
#pragma once

#include <unistd.h>

#include <atomic>
#include <string>

#include "object_name.hpp"
#include "shared_object.hpp"

namespace wanctl::test {

// Returns an instance name no other test process uses at the same time.
inline std::string unique_instance(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

// Removes the named objects when the test ends, whatever its outcome.
class ObjectCleanup {
 public:
  explicit ObjectCleanup(std::string name) : name_(std::move(name)) { SharedObject::remove(name_); }
  ~ObjectCleanup() { SharedObject::remove(name_); }
  ObjectCleanup(const ObjectCleanup&) = delete;
  ObjectCleanup& operator=(const ObjectCleanup&) = delete;

 private:
  std::string name_;
};

}  // namespace wanctl::test

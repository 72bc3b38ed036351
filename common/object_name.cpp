#include "object_name.hpp"

#include <stdexcept>

namespace wanctl {

std::string instance_name_error(std::string_view instance) {
  if (instance.empty()) {
    return "instance name is empty; use a name such as wan1";
  }
  if (instance.size() > kMaxInstanceNameLength) {
    return "instance name '" + std::string(instance.substr(0, 20)) + "...' is " +
           std::to_string(instance.size()) + " characters long; the maximum is " +
           std::to_string(kMaxInstanceNameLength);
  }
  for (char c : instance) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_';
    if (!allowed) {
      return "instance name '" + std::string(instance) +
             "' contains an invalid character; use letters, digits, '-' and '_' only";
    }
  }
  return {};
}

std::string object_name(std::string_view instance, std::string_view object) {
  std::string error = instance_name_error(instance);
  if (!error.empty()) {
    throw std::invalid_argument(error);
  }
  return "wanctl." + std::string(instance) + "." + std::string(object);
}

std::string object_path(std::string_view name) { return "/dev/shm/" + std::string(name); }

}  // namespace wanctl

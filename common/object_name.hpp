// Names of an instance's shared-memory objects: "wanctl.<instance>.<object>".
#pragma once

#include <string>
#include <string_view>

namespace wanctl {

// Longest accepted instance name; keeps every object name far below NAME_MAX.
inline constexpr std::size_t kMaxInstanceNameLength = 64;

// Returns an error message when the instance name is unusable, or an empty
// string when it is valid: 1 to 64 characters of letters, digits, '-' and '_'.
std::string instance_name_error(std::string_view instance);

// Builds the POSIX shared-memory name of one object of an instance. Throws
// std::invalid_argument naming the instance when it is not valid.
std::string object_name(std::string_view instance, std::string_view object);

// The file that backs a POSIX shared-memory object on Linux.
std::string object_path(std::string_view name);

}  // namespace wanctl

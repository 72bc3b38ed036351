// Replacing a file so that a crash or power loss leaves either the old or the
// new content, never a mix: write a temporary file in the same directory,
// fsync it, rename it over the target, then fsync the directory so the rename
// itself is durable.
#pragma once

#include <string>
#include <string_view>

namespace wanctl {

// Throws std::system_error whose message names the file and the step that failed.
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace wanctl

#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace wanctl {
namespace {

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

std::string directory_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

void write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      fail(errno, "cannot write " + path);
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
}

}  // namespace

void write_file_atomically(const std::string& path, std::string_view content) {
  std::string temporary = path + ".tmp." + std::to_string(::getpid());

  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    fail(errno, "cannot create " + temporary + " (is the directory there and writable?)");
  }
  try {
    write_all(fd, content, temporary);
    if (::fsync(fd) != 0) {
      fail(errno, "cannot fsync " + temporary);
    }
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    fail(error, "cannot close " + temporary);
  }

  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    fail(error, "cannot rename " + temporary + " to " + path);
  }

  std::string directory = directory_of(path);
  int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd < 0) {
    fail(errno, "cannot open directory " + directory + " to make the rename of " + path + " durable");
  }
  int sync_result = ::fsync(directory_fd);
  int sync_error = errno;
  ::close(directory_fd);
  if (sync_result != 0) {
    fail(sync_error, "cannot fsync directory " + directory + " after replacing " + path);
  }
}

}  // namespace wanctl

#include "state_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "shm_layout.hpp"

namespace wanctl::estimator {
namespace {

constexpr std::uint64_t kStateMagic = 0x57414e4354455354ULL;  // "WANCTEST"
constexpr std::uint32_t kStateFormatVersion = 1;
constexpr std::size_t kBootIdChars = 40;

// The file's bytes, in host byte order: the file never leaves the machine.
struct StateFileImage {
  std::uint64_t magic;
  std::uint32_t format_version;
  std::uint32_t layout_version;
  std::uint32_t status_size_bytes;
  std::uint32_t reserved;
  std::int64_t saved_mono_ns;
  std::int64_t saved_realtime_ns;
  char boot_id[kBootIdChars];
  EstimatorStatus status;
  std::uint64_t checksum;  // FNV-1a over every byte before it
};

std::uint64_t fnv1a(const void* data, std::size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (std::size_t i = 0; i < size; ++i) {
    hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
  }
  return hash;
}

std::string errno_text(int error) { return std::strerror(error); }

std::string directory_of(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

void write_all(int fd, const void* data, std::size_t size, const std::string& path) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = ::write(fd, bytes, size);
    if (written < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw StateFileError("cannot write state file " + path + ": " + errno_text(errno));
    }
    bytes += written;
    size -= static_cast<std::size_t>(written);
  }
}

}  // namespace

void save_state_file(const std::string& path, const SavedState& state) {
  StateFileImage image{};
  image.magic = kStateMagic;
  image.format_version = kStateFormatVersion;
  image.layout_version = kShmLayoutVersion;
  image.status_size_bytes = sizeof(EstimatorStatus);
  image.saved_mono_ns = state.saved_mono_ns;
  image.saved_realtime_ns = state.saved_realtime_ns;
  std::strncpy(image.boot_id, state.boot_id.c_str(), kBootIdChars - 1);
  image.status = state.status;
  image.checksum = fnv1a(&image, offsetof(StateFileImage, checksum));

  std::string temporary = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) {
    throw StateFileError("cannot create " + temporary + " for the state file: " + errno_text(errno) +
                         "; create the directory and make it writable for this user, or set "
                         "estimator.state_file");
  }
  try {
    write_all(fd, &image, sizeof(image), temporary);
    if (::fsync(fd) != 0) {
      throw StateFileError("cannot flush " + temporary + " to disk: " + errno_text(errno));
    }
  } catch (...) {
    ::close(fd);
    ::unlink(temporary.c_str());
    throw;
  }
  ::close(fd);

  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    throw StateFileError("cannot rename " + temporary + " to " + path + ": " + errno_text(error));
  }

  // The rename itself is durable only once the directory is synced.
  std::string directory = directory_of(path);
  int directory_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (directory_fd >= 0) {
    ::fsync(directory_fd);
    ::close(directory_fd);
  }
}

std::optional<SavedState> load_state_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    throw StateFileError("cannot open state file " + path + ": " + errno_text(errno));
  }

  StateFileImage image{};
  ssize_t size = ::read(fd, &image, sizeof(image));
  int read_error = errno;
  char extra = 0;
  ssize_t beyond = ::read(fd, &extra, 1);
  ::close(fd);
  if (size < 0) {
    throw StateFileError("cannot read state file " + path + ": " + errno_text(read_error));
  }
  if (static_cast<std::size_t>(size) != sizeof(image) || beyond != 0 || image.magic != kStateMagic) {
    throw StateFileError("state file " + path + " is not an estimator state file of this version; "
                         "it is ignored and replaced at the next save");
  }
  if (image.format_version != kStateFormatVersion || image.layout_version != kShmLayoutVersion ||
      image.status_size_bytes != sizeof(EstimatorStatus)) {
    throw StateFileError("state file " + path + " was written by another wanctl version; "
                         "it is ignored and replaced at the next save");
  }
  if (image.checksum != fnv1a(&image, offsetof(StateFileImage, checksum))) {
    throw StateFileError("state file " + path + " is corrupted (checksum mismatch); "
                         "it is ignored and replaced at the next save");
  }

  SavedState state;
  state.status = image.status;
  state.saved_mono_ns = image.saved_mono_ns;
  state.saved_realtime_ns = image.saved_realtime_ns;
  state.boot_id.assign(image.boot_id, ::strnlen(image.boot_id, kBootIdChars));
  return state;
}

std::string current_boot_id() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}

std::optional<double> saved_state_age_s(const SavedState& state, std::int64_t now_mono_ns,
                                        std::int64_t now_realtime_ns, const std::string& boot_id) {
  std::int64_t age_ns = 0;
  if (!boot_id.empty() && state.boot_id == boot_id) {
    age_ns = now_mono_ns - state.saved_mono_ns;
  } else {
    age_ns = now_realtime_ns - state.saved_realtime_ns;
  }
  if (age_ns < 0) {
    return std::nullopt;
  }
  return static_cast<double>(age_ns) / 1e9;
}

}  // namespace wanctl::estimator

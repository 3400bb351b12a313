#include "storage/posix_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ronde/core/error.h"

namespace ronde::checkpoint {

void throw_system_error(const std::string& what, const std::filesystem::path& path, int errno_value) {
  throw Error(ErrorCode::Storage, what + " '" + path.string() + "': " + std::strerror(errno_value));
}

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.release();
  }
  return *this;
}

UniqueFd::~UniqueFd() { close(); }

int UniqueFd::release() {
  const int fd = fd_;
  fd_ = -1;
  return fd;
}

int UniqueFd::close() {
  if (fd_ < 0) return 0;
  const int result = ::close(fd_);
  fd_ = -1;
  // Linux closes the descriptor even when close() reports EINTR; never retry.
  return result == 0 || errno == EINTR ? 0 : errno;
}

void write_all(int fd, std::span<const std::byte> bytes, std::uint64_t offset, const std::string& what,
               const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t written = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      throw_system_error(what + ": cannot write", path, errno);
    }
    bytes = bytes.subspan(static_cast<std::size_t>(written));
    offset += static_cast<std::uint64_t>(written);
  }
}

void read_all(int fd, std::span<std::byte> bytes, std::uint64_t offset, const std::string& what,
              const std::filesystem::path& path) {
  while (!bytes.empty()) {
    const ssize_t got = ::pread(fd, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_system_error(what + ": cannot read", path, errno);
    }
    if (got == 0) {
      throw Error(ErrorCode::Storage, what + ": '" + path.string() + "' ended at byte " + std::to_string(offset) +
                                          ", before the bytes its size promised");
    }
    bytes = bytes.subspan(static_cast<std::size_t>(got));
    offset += static_cast<std::uint64_t>(got);
  }
}

void sync_directory(const std::filesystem::path& directory, const std::string& what) {
  UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_system_error(what + ": cannot open directory", directory, errno);
  if (::fsync(fd.get()) != 0) throw_system_error(what + ": cannot fsync directory", directory, errno);
}

}  // namespace ronde::checkpoint

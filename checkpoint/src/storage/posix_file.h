// Thin POSIX helpers for the file backend: an owned descriptor and whole-buffer reads and writes
// that retry on EINTR and short transfers. Failures throw Error(Storage) naming the path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace ronde::checkpoint {

// Error(Storage) "<what>: <path>: <strerror(errno_value)>" — `what` names the operation and the
// object's URI ("put file:///ckpt/a: cannot create").
[[noreturn]] void throw_system_error(const std::string& what, const std::filesystem::path& path, int errno_value);

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd();

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release();
  // Closes now; returns errno of a failed close (0 on success) so writers can report it.
  int close();

 private:
  int fd_ = -1;
};

// Writes all of `bytes` at `offset` (pwrite loop).
void write_all(int fd, std::span<const std::byte> bytes, std::uint64_t offset, const std::string& what,
               const std::filesystem::path& path);
// Reads exactly `bytes.size()` bytes from `offset`; a file shorter than that is Error(Storage).
void read_all(int fd, std::span<std::byte> bytes, std::uint64_t offset, const std::string& what,
              const std::filesystem::path& path);
// fsync of a directory, so that a rename, link or unlink inside it is durable.
void sync_directory(const std::filesystem::path& directory, const std::string& what);

}  // namespace ronde::checkpoint

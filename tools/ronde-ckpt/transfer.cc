#include "transfer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "chunk_pipe.h"
#include "progress_meter.h"
#include "ronde/core/error.h"

namespace ronde::ckpt {

namespace {

// A read-only mapping of a whole local file (empty files map nothing).
class MappedFile {
 public:
  explicit MappedFile(const std::filesystem::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(path, errno);
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      const int error = S_ISDIR(info.st_mode) ? EISDIR : errno;
      ::close(fd);
      fail(path, error);
    }
    size_ = static_cast<std::size_t>(info.st_size);
    if (size_ > 0) {
      data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
      const int error = errno;
      ::close(fd);
      if (data_ == MAP_FAILED) fail(path, error);
      ::madvise(data_, size_, MADV_SEQUENTIAL);
    } else {
      ::close(fd);
    }
  }
  ~MappedFile() {
    if (size_ > 0) ::munmap(data_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const { return {static_cast<const std::byte*>(data_), size_}; }

 private:
  [[noreturn]] static void fail(const std::filesystem::path& path, int error) {
    throw Error(error == ENOENT || error == ENOTDIR ? ErrorCode::NotFound : ErrorCode::Storage,
                "cannot read '" + path.string() + "': " + std::strerror(error));
  }

  void* data_ = nullptr;
  std::size_t size_ = 0;
};

std::uint64_t copy_local_file(const std::filesystem::path& file, checkpoint::Storage& destination,
                              const std::string& destination_key, const CopyOptions& options, ProgressMeter& meter) {
  const MappedFile mapped(file);
  destination.put(destination_key, mapped.bytes(),
                  {.create_only = options.create_only,
                   .progress = [&](std::uint64_t done, std::uint64_t total) { meter.update(done, total); }});
  meter.update(mapped.bytes().size(), mapped.bytes().size());
  return mapped.bytes().size();
}

std::uint64_t copy_streamed(const CopySource& source, checkpoint::Storage& destination,
                            const std::string& destination_key, const CopyOptions& options, ProgressMeter& meter) {
  const std::uint64_t size = source.storage->head(source.key).size;  // NotFound before anything starts
  ChunkPipe pipe;
  std::thread producer([&] {
    try {
      source.storage->get_stream(source.key, [&](std::span<const std::byte> bytes) { pipe.push(bytes); });
      pipe.close(nullptr);
    } catch (...) {
      pipe.close(std::current_exception());
    }
  });
  std::uint64_t moved = 0;
  checkpoint::PutOptions put_options;
  put_options.create_only = options.create_only;
  try {
    destination.put_stream(destination_key,
                           [&](std::span<std::byte> buffer) {
                             const std::size_t n = pipe.pull(buffer);
                             moved += n;
                             meter.update(moved, size);
                             return n;
                           },
                           put_options);
  } catch (...) {
    pipe.abandon();
    producer.join();
    throw;
  }
  producer.join();
  return moved;
}

}  // namespace

std::uint64_t copy_object(const CopySource& source, checkpoint::Storage& destination,
                          const std::string& destination_key, const CopyOptions& options) {
  ProgressMeter meter(options.progress, source.key.substr(source.key.rfind('/') + 1));
  const std::uint64_t bytes = source.local_file
                                  ? copy_local_file(*source.local_file, destination, destination_key, options, meter)
                                  : copy_streamed(source, destination, destination_key, options, meter);
  meter.finish();
  return bytes;
}

}  // namespace ronde::ckpt

#include "ronde/checkpoint/sagemaker_output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <string>

#include "ronde/core/error.h"

namespace ronde::checkpoint {

namespace {

// The longest prefix of `text` of at most `limit` bytes that does not end inside a UTF-8 sequence.
std::string_view utf8_prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t end = limit;
  // Step back over continuation bytes (10xxxxxx) to the start of the character cut in two.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what, int error) {
  throw Error(ErrorCode::Storage, "cannot write the failure reason to " + file.string() + ": " + what + ": " +
                                      std::strerror(error));
}

// Writes `bytes` to a new file `temp` and fsyncs it.
void write_new_file(const std::filesystem::path& temp, const std::filesystem::path& file, std::string_view bytes) {
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(file, "open " + temp.string(), errno);
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      fail(file, "write " + temp.string(), error);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(file, "fsync/close " + temp.string(), error);
  }
}

}  // namespace

void write_failure_reason(const SageMakerConfig& config, std::string_view reason) {
  write_failure_reason(config.root, reason);
}

void write_failure_reason(const std::filesystem::path& root, std::string_view reason) {
  const std::filesystem::path file = root / "output" / "failure";
  std::error_code error;
  std::filesystem::create_directories(file.parent_path(), error);
  if (error) fail(file, "create " + file.parent_path().string(), error.value());

  std::random_device device;
  const std::filesystem::path temp = file.parent_path() / (".failure.tmp-" + std::to_string(::getpid()) + "-" +
                                                           std::to_string(device()));
  write_new_file(temp, file, utf8_prefix(reason, kFailureReasonLimit));
  if (::rename(temp.c_str(), file.c_str()) != 0) {
    const int rename_error = errno;
    ::unlink(temp.c_str());
    fail(file, "rename " + temp.string(), rename_error);
  }
  // Make the rename itself durable.
  const int dir = ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace ronde::checkpoint

// A bounded queue of byte chunks between one producer (a get_stream sink) and one consumer (a
// put_stream source). Either side can stop the other: the producer by closing with an error,
// which the consumer rethrows, and the consumer by abandoning, which makes push() throw.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <vector>

namespace ronde::ckpt {

class ChunkPipe {
 public:
  explicit ChunkPipe(std::size_t max_chunks = 4) : max_chunks_(max_chunks) {}

  // Copies `bytes` in; blocks while the pipe is full. Throws Error(Cancelled) once abandoned.
  void push(std::span<const std::byte> bytes);
  // No more chunks; `error` (may be null) is rethrown to the consumer after the last chunk.
  void close(std::exception_ptr error);
  // Fills `buffer` with the next bytes; 0 at the end. Blocks while the pipe is empty.
  std::size_t pull(std::span<std::byte> buffer);
  // The consumer has stopped: wakes and fails the producer.
  void abandon();

 private:
  const std::size_t max_chunks_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<std::byte>> chunks_;
  std::size_t front_offset_ = 0;  // bytes of chunks_.front() already pulled
  bool closed_ = false;
  bool abandoned_ = false;
  std::exception_ptr error_;
};

}  // namespace ronde::ckpt

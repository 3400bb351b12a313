#include "chunk_pipe.h"

#include <algorithm>
#include <cstring>

#include "ronde/core/error.h"

namespace ronde::ckpt {

void ChunkPipe::push(std::span<const std::byte> bytes) {
  if (bytes.empty()) return;
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return abandoned_ || chunks_.size() < max_chunks_; });
  if (abandoned_) throw Error(ErrorCode::Cancelled, "the destination stopped taking bytes");
  chunks_.emplace_back(bytes.begin(), bytes.end());
  changed_.notify_all();
}

void ChunkPipe::close(std::exception_ptr error) {
  std::lock_guard lock(mutex_);
  closed_ = true;
  error_ = std::move(error);
  changed_.notify_all();
}

std::size_t ChunkPipe::pull(std::span<std::byte> buffer) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return closed_ || !chunks_.empty(); });
  if (chunks_.empty()) {
    if (error_) std::rethrow_exception(error_);
    return 0;
  }
  const std::vector<std::byte>& front = chunks_.front();
  const std::size_t n = std::min(buffer.size(), front.size() - front_offset_);
  std::memcpy(buffer.data(), front.data() + front_offset_, n);
  front_offset_ += n;
  if (front_offset_ == front.size()) {
    chunks_.pop_front();
    front_offset_ = 0;
    changed_.notify_all();
  }
  return n;
}

void ChunkPipe::abandon() {
  std::lock_guard lock(mutex_);
  abandoned_ = true;
  changed_.notify_all();
}

}  // namespace ronde::ckpt

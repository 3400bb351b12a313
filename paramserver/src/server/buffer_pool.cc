#include "server/buffer_pool.h"

#include <algorithm>

namespace ronde::ps::server {

BufferPool::Lease::Lease(BufferPool& pool, std::size_t bytes) : pool_(pool) {
  bytes = std::max<std::size_t>(bytes, 1);
  {
    std::lock_guard<std::mutex> lock(pool_.mutex_);
    // The smallest idle buffer that fits.
    auto best = pool_.idle_.end();
    for (auto it = pool_.idle_.begin(); it != pool_.idle_.end(); ++it) {
      if (it->capacity >= bytes && (best == pool_.idle_.end() || it->capacity < best->capacity)) best = it;
    }
    if (best != pool_.idle_.end()) {
      buffer_ = std::move(*best);
      pool_.idle_.erase(best);
      return;
    }
  }
  buffer_.data.reset(new std::byte[bytes]);
  buffer_.capacity = bytes;
}

BufferPool::Lease::~Lease() {
  if (buffer_.capacity > kMaxPooledBytes) return;
  std::lock_guard<std::mutex> lock(pool_.mutex_);
  if (pool_.idle_.size() >= kMaxPooled) {
    // Keep the larger buffers: drop the smallest idle one if this one is bigger.
    auto smallest = std::min_element(pool_.idle_.begin(), pool_.idle_.end(),
                                     [](const Buffer& a, const Buffer& b) { return a.capacity < b.capacity; });
    if (smallest->capacity >= buffer_.capacity) return;
    pool_.idle_.erase(smallest);
  }
  pool_.idle_.push_back(std::move(buffer_));
}

}  // namespace ronde::ps::server

// Reusable byte buffers for the data of calls in flight (push staging), so that a steady stream of
// pushes does not allocate, page-fault and free megabytes per call. Buffers above kMaxPooledBytes
// are never kept, and at most kMaxPooled are kept idle.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace ronde::ps::server {

class BufferPool {
 public:
  static constexpr std::size_t kMaxPooledBytes = std::size_t{64} << 20;
  static constexpr std::size_t kMaxPooled = 32;

  // A buffer of at least `bytes` (uninitialised), returned to the pool when the lease ends.
  class Lease {
   public:
    Lease(BufferPool& pool, std::size_t bytes);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    std::byte* data() { return buffer_.data.get(); }

   private:
    friend class BufferPool;
    struct Buffer {
      std::unique_ptr<std::byte[]> data;
      std::size_t capacity = 0;
    };
    BufferPool& pool_;
    Buffer buffer_;
  };

 private:
  std::mutex mutex_;
  std::vector<Lease::Buffer> idle_;
};

}  // namespace ronde::ps::server

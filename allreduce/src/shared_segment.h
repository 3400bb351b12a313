// A block of memory that every rank of a group on one host maps: POSIX shared memory, created by
// the group's first rank and opened by the others. The hierarchical collectives stage data in it
// so that ranks on a host read each other's bytes directly instead of messaging them.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "ronde/core/topology.h"
#include "ronde/core/transport.h"

namespace ronde {

class SharedSegment {
 public:
  // Collective over `group` (all its ranks on one host) and `everyone` (the whole job, so that a
  // host that fails here stops the others too): returns a segment of `bytes` bytes every group
  // rank maps, or, when any rank anywhere could not create or map its host's segment, nullptr on
  // every rank with `why` naming the rank and the reason. The memory is reserved up front (no
  // SIGBUS later on a full /dev/shm) and its name is unlinked once every rank mapped it, so it
  // disappears with the last process that maps it.
  static std::unique_ptr<SharedSegment> open(Transport& group, Transport& everyone, const Topology& topology,
                                             std::size_t bytes, std::string& why);
  ~SharedSegment();
  SharedSegment(const SharedSegment&) = delete;
  SharedSegment& operator=(const SharedSegment&) = delete;

  std::byte* data() const { return data_; }
  std::size_t size() const { return size_; }

 private:
  SharedSegment(std::byte* data, std::size_t size) : data_(data), size_(size) {}
  std::byte* data_;
  std::size_t size_;
};

}  // namespace ronde

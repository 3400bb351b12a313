// Topology-aware collectives for jobs with several ranks per host: the bytes that cross hosts
// travel once per host pair over every local rank's connection in parallel, and the bytes that
// stay on a host move through shared memory. See hierarchical_collectives.cc.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "host_layout.h"
#include "pipelined_broadcast.h"
#include "ring_allreduce.h"
#include "ronde/core/dtype.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/topology.h"
#include "ronde/core/transport.h"
#include "shared_segment.h"
#include "subgroup_transport.h"

namespace ronde {

class HierarchicalCollectives {
 public:
  // Collective over `transport` (every rank must call it): nullptr on every rank, with `why`,
  // when the shared segment could not be made on some host. `slot_bytes` is the staging unit of
  // one rank (the segment holds 2 x L of them).
  static std::unique_ptr<HierarchicalCollectives> make(Transport& transport, const Topology& topology,
                                                       const HostLayout& layout, std::size_t slot_bytes,
                                                       std::string& why);

  // As ring_allreduce, with the same contract; every rank gets the same bits.
  void allreduce(const void* in, void* out, std::size_t count, DType dtype, ReduceOp op, const RingOptions& ring,
                 std::vector<std::byte>& scratch);

  // As ring_allgather of bytes: rank r's `bytes_of[r]` bytes (this rank's at `own`) end up at
  // offset bytes_of[0] + ... + bytes_of[r-1] of every rank's `output`. `work` is resized to hold
  // what this rank's cross ring gathers.
  void allgather(const void* own, void* output, const std::vector<std::size_t>& bytes_of, const RingOptions& ring,
                 std::vector<std::byte>& work);

  // As pipelined_broadcast: root's `bytes` at `data` end up at `data` on every rank. `chain`
  // pipelines the step across hosts.
  void broadcast(void* data, std::size_t bytes, int root, const RingOptions& chain);

  const HostLayout& layout() const { return layout_; }

 private:
  HierarchicalCollectives(Transport& transport, const HostLayout& layout, std::size_t slot_bytes);
  // Rank `writer`'s slot of the staging buffer in the current round (double-buffered by round).
  std::byte* slot(int writer) const;
  // One round of the intra-host steps: `write` fills this rank's slot, then (after a barrier of
  // the local group) `read` uses every rank's slot.
  template <class Write, class Read>
  void round(Write&& write, Read&& read);

  HostLayout layout_;
  SubgroupTransport local_;
  SubgroupTransport cross_;
  std::unique_ptr<SharedSegment> segment_;
  std::size_t slot_bytes_;
  std::size_t round_ = 0;  // rounds since creation; every local rank counts the same rounds
};

}  // namespace ronde

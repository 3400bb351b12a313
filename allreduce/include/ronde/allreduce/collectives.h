// Collectives on host (CPU) tensors, run by ronde's own algorithms over the Context's transport
// (MPI point-to-point under mpirun), and on CUDA tensors, run by NCCL (or staged through host
// memory, CollectiveOptions::gpu_operations). Host collectives return when done; CUDA ones are
// ordered on the caller's CUDA stream (see cuda_stream) like NCCL's own calls.
//
//   ronde::Context ctx = ronde::init();
//   ronde::Collectives coll(ctx);
//   coll.allreduce(ronde::Tensor::of(grad), ronde::ReduceOp::Average);   // in place
//
// Every rank of the group must make the same calls in the same order with the same element
// count, dtype and operator; when they do not, every rank gets Error(Mismatch) naming each rank's
// call (CollectiveOptions::verify_arguments). The Horovod-style engine negotiates this for named
// tensors instead. A
// Collectives object keeps its scratch memory between calls; it is not thread-safe: use one per
// thread that communicates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ronde/core/context.h"
#include "ronde/core/env.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

namespace ronde {

// Whether host allreduces use the hosts' layout (see CollectiveOptions::hierarchy).
enum class Hierarchy { Auto, Flat, Hierarchical };

// How collectives on CUDA tensors move data: NCCL, or staged through pinned host memory and the
// host algorithms over MPI (works without NCCL, and lets several processes share one GPU).
enum class GpuOperations { Auto, Nccl, Mpi };

struct CollectiveOptions {
  // Pipelining unit of the ring algorithms: the reduction of one segment overlaps the transfer of
  // the next. RONDE_RING_SEGMENT_BYTES.
  std::size_t segment_bytes = 256 * 1024;
  // Receives kept posted ahead of the one being reduced (at least 2). RONDE_RING_PIPELINE_DEPTH.
  int pipeline_depth = 8;
  // Sends a ring rank keeps posted and not yet complete (0: no limit). Bulk data queued on a TCP
  // connection delays the transport's small control messages behind it (Open MPI's rendezvous
  // acknowledgements), which starved a rate-limited link; a few keep that queue short.
  // RONDE_RING_SEND_WINDOW.
  int send_window = 4;
  // Segment size of the collectives that only move bytes (broadcast, allgather), which have no
  // reduction to overlap: larger segments save per-message handshakes. RONDE_COPY_SEGMENT_BYTES.
  std::size_t copy_segment_bytes = 4 * 1024 * 1024;
  // The three settings above serve groups on one host. When the group spans hosts, every ring and
  // chain (allreduce, reducescatter, allgather, broadcast, and the hierarchical rings across
  // hosts) cuts its buffer into segments of network_segment_bytes instead: over TCP a message
  // above the transport's eager limit waits for a handshake whose answer queues behind the
  // peer's own data, while a smaller one leaves at once. 0 (the default): the transport's eager
  // limit between hosts less 4 KiB for headers, rounded down to 4 KiB (Open MPI's default 64 KiB
  // gives 60 KiB), or 60 KiB when the transport does not say. RONDE_NETWORK_SEGMENT_BYTES.
  std::size_t network_segment_bytes = 0;
  // Across hosts the receive depth is this many bytes of network segments (never below
  // pipeline_depth), so what is posted ahead does not shrink with the segment.
  // RONDE_NETWORK_IN_FLIGHT_BYTES.
  std::size_t network_in_flight_bytes = 2 * 1024 * 1024;
  // Before each call, exchange what every rank asked for (operation, element count, dtype, op or
  // root) so that disagreeing ranks all get an Error(Mismatch) listing each rank's call instead of
  // a hang or garbage. Costs one small-message exchange per call; small allreduces travel inside
  // it, so they cost nothing extra. RONDE_VERIFY_ARGUMENTS.
  bool verify_arguments = true;
  // Allreduces of at most this many bytes use recursive doubling (log2 n whole-buffer exchanges)
  // instead of the ring, except floating-point min/max. 0 disables. RONDE_SMALL_ALLREDUCE_BYTES.
  std::size_t small_allreduce_bytes = 64 * 1024;
  // Host allreduces, allgathers and broadcasts with several ranks per host: Hierarchical reduces
  // within each host through shared memory and runs one ring per local rank across hosts on its
  // share, so a host's link carries 2(H-1)/H of the buffer instead of the flat ring's 2(n-1)/n
  // (allgather: gathers across hosts per local rank, then shares within the host; broadcast:
  // chains across hosts, then shares within each host); on one host it is the shared-memory
  // steps alone. Auto takes it (broadcast: on one host only) for buffers (allgather: outputs) above
  // small_allreduce_bytes when every host runs the same number (>= 2) of ranks; Hierarchical
  // forces it for every size (an uneven layout is then an error); Flat never.
  // RONDE_HIERARCHY (auto, flat, hierarchical).
  Hierarchy hierarchy = Hierarchy::Auto;
  // Staging unit of the hierarchical algorithms: each rank's slot in its host's shared-memory
  // segment, which holds 2 x (ranks on the host) slots. Small enough that a round's slots stay in
  // cache between the writer and the readers (2 MiB measured 1.3-1.6x slower than 512 KiB at 2
  // and 4 ranks). RONDE_SHARED_SLOT_BYTES.
  std::size_t shared_slot_bytes = 512 * 1024;
  // CUDA tensors: Auto is NCCL when ronde was built with it, else staging. RONDE_GPU_OPERATIONS
  // (NCCL or MPI).
  GpuOperations gpu_operations = GpuOperations::Auto;
  // The caller's CUDA stream (a cudaStream_t), or null for the legacy default stream: collectives
  // on CUDA tensors wait for the work queued on it, and it waits for them.
  void* cuda_stream = nullptr;

  static CollectiveOptions from_env(const Environment& env = Environment::process());
};

// Scale factors of an allreduce: output = postscale * (op over ranks of prescale * input).
// Floating-point dtypes only (an integer tensor with a factor other than 1 is an error).
struct AllreduceScale {
  double prescale = 1.0;
  double postscale = 1.0;
};

// Makes the output of a collective whose size is known only after the ranks have exchanged their
// sizes (allgather, alltoall): called once with the full shape; must return a CPU tensor of that
// shape and the input's dtype, which the collective fills.
using AllocateOutput = std::function<Tensor(const std::vector<std::int64_t>& shape)>;

class DeviceCollectives;
class HierarchicalCollectives;
struct HostLayout;
struct RingOptions;

class Collectives {
 public:
  explicit Collectives(Context& context, CollectiveOptions options = CollectiveOptions::from_env());
  ~Collectives();

  // output = op over all ranks' input, element-wise. input and output may be the same memory
  // (in place) or disjoint; they must have the same dtype, element count and device.
  // Throws Error(InvalidArgument) naming the offending argument.
  void allreduce(const Tensor& input, const Tensor& output, ReduceOp op, const AllreduceScale& scale = {});
  void allreduce(const Tensor& tensor, ReduceOp op, const AllreduceScale& scale = {}) {
    allreduce(tensor, tensor, op, scale);
  }

  // Concatenates every rank's input along the first dimension, in rank order. Ranks may
  // contribute different first dimensions; the other dimensions and the dtype must agree.
  // Returns each rank's first dimension. The second form takes an output of the right shape
  // ([sum of first dimensions, rest...]) and checks it.
  std::vector<std::int64_t> allgather(const Tensor& input, const AllocateOutput& allocate);
  std::vector<std::int64_t> allgather(const Tensor& input, const Tensor& output);

  // Reduces every rank's input (same shape everywhere) and leaves rank r with rows
  // [offset_r, offset_r + splits[r]) of the result, where offset_r is the sum of the earlier
  // splits. Empty `splits` divides the first dimension as evenly as possible (the first
  // (rows % n) ranks get one row more). output must be [splits[rank], rest...].
  void reducescatter(const Tensor& input, const Tensor& output, ReduceOp op, std::span<const std::int64_t> splits = {});

  // Sends rows [offset_p, offset_p + splits[p]) of input to rank p, for every p, and returns the
  // number of rows received from each rank; the received rows are concatenated in rank order
  // into the output `allocate` makes ([sum of received rows, rest...]).
  std::vector<std::int64_t> alltoall(const Tensor& input, std::span<const std::int64_t> splits,
                                     const AllocateOutput& allocate);

  // Copies root's tensor into every rank's tensor (same dtype and element count everywhere).
  void broadcast(const Tensor& tensor, int root);

  // Returns once every rank has entered it.
  void barrier();

  const CollectiveOptions& options() const { return options_; }

 private:
  // Whether a host allreduce, allgather or broadcast of `bytes` can take the hierarchical path
  // (the same answer on every rank: it depends only on options, topology and what the agreement
  // check compares; broadcast narrows it to one host under Auto).
  bool hierarchical_path(std::size_t bytes) const;
  // Whether an allreduce takes recursive doubling (small host buffers), folded into the agreement
  // check when that is on.
  bool small_path(const Tensor& input, ReduceOp op, bool hierarchical) const;
  void run_allreduce(const void* in, void* out, std::size_t count, DType dtype, ReduceOp op, bool hierarchical);
  // The hierarchical algorithms, set up on first use (a collective call); null when the shared
  // segment could not be made, which Auto then remembers (hierarchical_failed_) and Hierarchical
  // reports.
  HierarchicalCollectives* hierarchical_backend();
  // Rings and chains across hosts: network segments (CollectiveOptions::network_segment_bytes,
  // resolved on first use: it asks the transport), network_in_flight_bytes of them posted ahead.
  RingOptions network_ring();
  // A ring or chain over the whole group: network_ring() when the group spans hosts, else
  // `on_one_host`.
  RingOptions group_ring(const RingOptions& on_one_host);
  // The backend for CUDA tensors on `device`, made on first use (one device per Collectives).
  DeviceCollectives& device_backend(const Device& device);
  Context& context_;
  CollectiveOptions options_;
  std::vector<std::byte> scratch_;  // receive slots of the ring, reused across calls
  std::vector<std::byte> work_;     // reducescatter's full-size partial results, reused
  std::unique_ptr<DeviceCollectives> device_;
  int device_index_ = -1;
  std::unique_ptr<HostLayout> layout_;  // null when the hosts' layout is unknown or uneven
  std::string layout_problem_;          // why layout_ is null
  std::unique_ptr<HierarchicalCollectives> hierarchical_;
  bool hierarchical_failed_ = false;
  bool across_hosts_ = false;                 // the group spans more than one host
  std::size_t network_segment_bytes_ = 0;     // resolved by network_ring(); 0 until first asked
};

}  // namespace ronde

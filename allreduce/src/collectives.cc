// The Collectives API: argument checks (naming the argument), the cross-rank agreement check,
// choice of algorithm, and the bookkeeping around the algorithms (sizes, offsets, outputs).
#include "ronde/allreduce/collectives.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <numeric>
#include <optional>
#include <string>

#include "call_agreement.h"
#include "device_collectives.h"
#include "dissemination_barrier.h"
#include "hierarchical_collectives.h"
#include "host_layout.h"
#include "pairwise_alltoall.h"
#include "pipelined_broadcast.h"
#include "recursive_doubling_allreduce.h"
#include "ring_allreduce.h"
#include "ronde/core/cuda_info.h"
#include "ronde/core/error.h"

namespace ronde {

namespace {

[[noreturn]] void invalid(const Context& context, const std::string& message) {
  throw Error(ErrorCode::InvalidArgument, message + " (rank " + std::to_string(context.rank()) + ")");
}

// Input and output of one call live on the same device (the CPU, or one CUDA device).
void require_same_device(const Context& context, const char* operation, const Tensor& input, const Tensor& output) {
  if (input.device() != output.device()) {
    invalid(context, std::string(operation) + ": input is " + input.describe() + " but output is " + output.describe() +
                         ": both must be on the same device");
  }
}

std::int64_t on_cuda(const Tensor& tensor) { return tensor.device().is_cuda() ? 1 : 0; }

// Allgather, reducescatter and alltoall work on rows: the first dimension.
void require_rows(const Context& context, const char* operation, const Tensor& tensor) {
  if (tensor.shape().empty()) {
    invalid(context, std::string(operation) + ": input is a scalar (" + tensor.describe() +
                         "); it needs a first dimension to split or concatenate along");
  }
}

std::int64_t row_elements(const Tensor& tensor) {
  std::int64_t elements = 1;
  for (std::size_t d = 1; d < tensor.shape().size(); ++d) elements *= tensor.shape()[d];
  return elements;
}

std::vector<std::int64_t> with_first_dim(const Tensor& tensor, std::int64_t rows) {
  std::vector<std::int64_t> shape = tensor.shape();
  shape[0] = rows;
  return shape;
}

bool overlap(const Tensor& a, const Tensor& b) {
  const auto* a_begin = static_cast<const std::byte*>(a.data());
  const auto* b_begin = static_cast<const std::byte*>(b.data());
  return a_begin < b_begin + b.nbytes() && b_begin < a_begin + a.nbytes();
}

// An output a caller made (or allocated on request) must be exactly what the collective writes.
void require_output(const Context& context, const char* operation, const Tensor& output, const Tensor& input,
                    const std::vector<std::int64_t>& shape) {
  if (output.dtype() != input.dtype() || output.shape() != shape || output.device() != input.device()) {
    invalid(context, std::string(operation) + ": output is " + output.describe() + " but must be " +
                         std::string(to_string(input.dtype())) + shape_to_string(shape) + " on " +
                         input.device().to_string());
  }
}

RingOptions ring_options(const CollectiveOptions& options) {
  return {options.segment_bytes, options.pipeline_depth, options.send_window};
}

// Collectives that only move bytes (broadcast, allgather) have no reduction to overlap, so their
// segments only need to be small enough to pipeline across hops: larger ones save the per-message
// handshake of every rendezvous.
RingOptions copy_options(const CollectiveOptions& options) {
  return {std::max(options.segment_bytes, options.copy_segment_bytes), options.pipeline_depth, options.send_window};
}

// The chain broadcast ends about (n - 1 + S) segment times after it starts, for S segments: the
// first segment crosses n - 1 links before the last rank has anything. So it cuts a buffer into
// at least 8 segments per link of the chain (at most 1/9 of the time spent filling the chain),
// but never below the ring's segment nor above the copy segment.
RingOptions broadcast_options(const CollectiveOptions& options, std::size_t bytes, int ranks) {
  RingOptions broadcast = copy_options(options);
  const std::size_t links = static_cast<std::size_t>(std::max(1, ranks - 1));
  const std::size_t wanted = (bytes + 8 * links - 1) / (8 * links);
  broadcast.segment_bytes = std::clamp(wanted, options.segment_bytes, broadcast.segment_bytes);
  return broadcast;
}

// network_segment_bytes, 0 resolved from the transport's eager limit between hosts: below it by
// room for the transport's headers, in whole pages, at most 1 MiB (larger ones stop pipelining).
// A limit the transport does not report, or one too small to carry a useful segment, gives
// 60 KiB: below Open MPI's default of 64 KiB.
std::size_t resolve_network_segment(const CollectiveOptions& options, std::size_t eager_limit) {
  if (options.network_segment_bytes) return options.network_segment_bytes;
  constexpr std::size_t kPage = 4096, kHeaderRoom = kPage, kSmallest = 16 * 1024, kLargest = 1024 * 1024;
  if (eager_limit < kSmallest + kHeaderRoom) return 60 * 1024;
  return std::min(kLargest, (eager_limit - kHeaderRoom) / kPage * kPage);
}

// Recursive doubling needs every combination to give the same bits whichever partner computes
// it. Sum and product are commutative; floating min/max are not bitwise (-0 vs +0, NaN), so they
// always take the ring, which computes each result once.
bool recursive_doubling_is_exact(DType dtype, ReduceOp op) {
  return op == ReduceOp::Sum || op == ReduceOp::Average || op == ReduceOp::Product || !is_floating_point(dtype);
}

// FNV-1a over the split sizes: lets the agreement check compare whole split lists in one field.
std::int64_t digest(std::span<const std::int64_t> values) {
  std::uint64_t hash = 1469598103934665603ull;
  for (std::int64_t value : values) {
    hash ^= static_cast<std::uint64_t>(value);
    hash *= 1099511628211ull;
  }
  return static_cast<std::int64_t>(hash >> 1);
}

std::vector<std::size_t> scaled(const std::vector<std::int64_t>& rows, std::int64_t factor) {
  std::vector<std::size_t> out;
  for (std::int64_t r : rows) out.push_back(static_cast<std::size_t>(r * factor));
  return out;
}

std::vector<std::size_t> offsets_of(const std::vector<std::size_t>& sizes) {
  std::vector<std::size_t> offsets(sizes.size(), 0);
  std::exclusive_scan(sizes.begin(), sizes.end(), offsets.begin(), std::size_t{0});
  return offsets;
}

// Runs a rank's local argument checks and keeps their error instead of throwing it, so that it can
// travel with the agreement check and every rank stops together.
template <class Checks>
std::optional<Error> first_error(Checks&& checks) {
  try {
    checks();
  } catch (const Error& error) {
    return error;
  } catch (const std::exception& error) {
    return Error(ErrorCode::InvalidArgument, error.what());
  }
  return std::nullopt;
}

// The agreement check when it is on; otherwise a local problem is simply thrown (and the other
// ranks, not told, may wait: that is the trade RONDE_VERIFY_ARGUMENTS=0 makes).
void agree(Context& context, const CollectiveOptions& options, std::vector<std::byte>& scratch,
           const CallSignature& call, const char* operation, const std::optional<Error>& problem) {
  if (options.verify_arguments) {
    verify_agreement(context.transport(), context.topology(), call, operation, problem, scratch);
  } else if (problem) {
    throw *problem;
  }
}

}  // namespace

CollectiveOptions CollectiveOptions::from_env(const Environment& env) {
  CollectiveOptions options;
  options.segment_bytes = env.get_bytes("RONDE_RING_SEGMENT_BYTES", options.segment_bytes);
  options.pipeline_depth = static_cast<int>(env.get_int("RONDE_RING_PIPELINE_DEPTH", options.pipeline_depth));
  const std::int64_t send_window = env.get_int("RONDE_RING_SEND_WINDOW", options.send_window);
  if (send_window < 0 || send_window > (1 << 20)) {
    throw Error(ErrorCode::InvalidArgument,
                "RONDE_RING_SEND_WINDOW=" + std::to_string(send_window) + " must be 0 (no limit) .. 1048576");
  }
  options.send_window = static_cast<int>(send_window);
  options.verify_arguments = env.get_bool("RONDE_VERIFY_ARGUMENTS", options.verify_arguments);
  options.small_allreduce_bytes = env.get_bytes("RONDE_SMALL_ALLREDUCE_BYTES", options.small_allreduce_bytes);
  options.copy_segment_bytes = env.get_bytes("RONDE_COPY_SEGMENT_BYTES", options.copy_segment_bytes);
  options.network_segment_bytes = env.get_bytes("RONDE_NETWORK_SEGMENT_BYTES", options.network_segment_bytes);
  options.network_in_flight_bytes = env.get_bytes("RONDE_NETWORK_IN_FLIGHT_BYTES", options.network_in_flight_bytes);
  if (auto hierarchy = env.get("RONDE_HIERARCHY")) {
    if (*hierarchy == "auto") options.hierarchy = Hierarchy::Auto;
    else if (*hierarchy == "flat") options.hierarchy = Hierarchy::Flat;
    else if (*hierarchy == "hierarchical") options.hierarchy = Hierarchy::Hierarchical;
    else throw Error(ErrorCode::InvalidArgument, "RONDE_HIERARCHY='" + *hierarchy + "' is not auto, flat or hierarchical");
  }
  options.shared_slot_bytes = env.get_bytes("RONDE_SHARED_SLOT_BYTES", options.shared_slot_bytes);
  if (auto operations = env.get("RONDE_GPU_OPERATIONS")) {
    if (*operations == "NCCL" || *operations == "nccl") options.gpu_operations = GpuOperations::Nccl;
    else if (*operations == "MPI" || *operations == "mpi") options.gpu_operations = GpuOperations::Mpi;
    else throw Error(ErrorCode::InvalidArgument, "RONDE_GPU_OPERATIONS='" + *operations + "' is not NCCL or MPI");
  }
  if (options.segment_bytes == 0) {
    throw Error(ErrorCode::InvalidArgument, "RONDE_RING_SEGMENT_BYTES must be at least 1 byte");
  }
  if (options.pipeline_depth < 2) {
    throw Error(ErrorCode::InvalidArgument,
                "RONDE_RING_PIPELINE_DEPTH=" + std::to_string(options.pipeline_depth) + " must be at least 2");
  }
  return options;
}

Collectives::~Collectives() = default;

DeviceCollectives& Collectives::device_backend(const Device& device) {
  if (device_ && device.index != device_index_) {
    throw Error(ErrorCode::InvalidArgument, "collectives: this Collectives object serves cuda:" +
                                                std::to_string(device_index_) + "; use another one for " +
                                                device.to_string());
  }
  if (!device_) {
    if (built_with_cuda() && device.index >= cuda_device_count()) {
      throw Error(ErrorCode::Unavailable, "collectives: a tensor is on " + device.to_string() + " but this process sees " +
                                              std::to_string(cuda_device_count()) + " CUDA device(s)");
    }
    GpuOperations operations = options_.gpu_operations;
    if (operations == GpuOperations::Auto) operations = built_with_nccl() ? GpuOperations::Nccl : GpuOperations::Mpi;
    device_ = make_device_collectives(context_, options_, operations, device.index);
    device_index_ = device.index;
  }
  return *device_;
}

Collectives::Collectives(Context& context, CollectiveOptions options) : context_(context), options_(options) {
  if (options_.segment_bytes == 0) throw Error(ErrorCode::InvalidArgument, "CollectiveOptions::segment_bytes is 0");
  if (options_.pipeline_depth < 2) throw Error(ErrorCode::InvalidArgument, "CollectiveOptions::pipeline_depth < 2");
  if (options_.send_window < 0) throw Error(ErrorCode::InvalidArgument, "CollectiveOptions::send_window < 0");
  if (auto layout = HostLayout::of(context_.topology(), layout_problem_)) layout_ = std::make_unique<HostLayout>(*layout);
  across_hosts_ = context_.topology().cross_size > 1;
  if (options_.hierarchy == Hierarchy::Hierarchical && !layout_) {
    throw Error(ErrorCode::InvalidArgument, "hierarchical collectives were asked for (RONDE_HIERARCHY=hierarchical) "
                                            "but " + layout_problem_);
  }
}

bool Collectives::hierarchical_path(std::size_t bytes) const {
  if (options_.hierarchy == Hierarchy::Flat || !layout_ || hierarchical_failed_ || context_.size() == 1) return false;
  if (options_.hierarchy == Hierarchy::Hierarchical) return true;
  return layout_->ranks_per_host > 1 && bytes > options_.small_allreduce_bytes;
}

RingOptions Collectives::network_ring() {
  if (!network_segment_bytes_) {
    network_segment_bytes_ = resolve_network_segment(options_, context_.transport().eager_limit_between_hosts());
  }
  constexpr std::size_t kMostReceivesAhead = 4096;
  const std::size_t wanted = (options_.network_in_flight_bytes + network_segment_bytes_ - 1) / network_segment_bytes_;
  const int depth = std::max(options_.pipeline_depth, static_cast<int>(std::min(wanted, kMostReceivesAhead)));
  return {network_segment_bytes_, depth, options_.send_window};
}

RingOptions Collectives::group_ring(const RingOptions& on_one_host) {
  return across_hosts_ ? network_ring() : on_one_host;
}

HierarchicalCollectives* Collectives::hierarchical_backend() {
  if (hierarchical_ || hierarchical_failed_) return hierarchical_.get();
  std::string why;
  hierarchical_ = HierarchicalCollectives::make(context_.transport(), context_.topology(), *layout_,
                                                options_.shared_slot_bytes, why);
  if (hierarchical_) return hierarchical_.get();
  if (options_.hierarchy == Hierarchy::Hierarchical) {
    throw Error(ErrorCode::Unavailable, "hierarchical collectives (RONDE_HIERARCHY=hierarchical): " + why);
  }
  hierarchical_failed_ = true;
  context_.log().warn("hierarchical collectives are off, allreduce, allgather and broadcast take the flat paths: ", why);
  return nullptr;
}

void Collectives::allreduce(const Tensor& input, const Tensor& output, ReduceOp op, const AllreduceScale& scale) {
  const std::optional<Error> problem = first_error([&] {
    require_same_device(context_, "allreduce", input, output);
    if (input.dtype() != output.dtype()) {
      invalid(context_, "allreduce: input is " + input.describe() + " but output is " + output.describe() +
                            ": the dtypes differ");
    }
    if (input.numel() != output.numel()) {
      invalid(context_, "allreduce: input has " + std::to_string(input.numel()) + " elements (" + input.describe() +
                            ") but output has " + std::to_string(output.numel()) + " (" + output.describe() + ")");
    }
    if (input.data() != output.data() && overlap(input, output)) {
      invalid(context_, "allreduce: input and output overlap without being the same memory");
    }
    if ((scale.prescale != 1.0 || scale.postscale != 1.0) && !is_floating_point(input.dtype())) {
      invalid(context_, "allreduce: scale factors need a floating-point tensor, input is " + input.describe());
    }
  });
  const bool hierarchical = !input.device().is_cuda() && hierarchical_path(input.nbytes());
  const CallSignature call{CollectiveKind::Allreduce, input.numel(), static_cast<std::int64_t>(input.dtype()),
                           static_cast<std::int64_t>(op), hierarchical ? 1 : 0, on_cuda(input)};
  const auto count = static_cast<std::size_t>(input.numel());
  if (!problem && small_path(input, op, hierarchical) && input.nbytes() <= FoldedAllreduce::kMaxBytes &&
      options_.verify_arguments && context_.size() > 1) {
    // The data travels in the agreement check's own messages: one exchange for the whole call.
    const FoldedAllreduce folded{input.data(), output.data(), count, input.dtype(), op, scale.prescale};
    verify_agreement(context_.transport(), context_.topology(), call, "allreduce", problem, scratch_, &folded);
    if (scale.postscale != 1.0) scale_elements(output.dtype(), output.data(), count, scale.postscale);
    return;
  }
  agree(context_, options_, scratch_, call, "allreduce", problem);
  if (input.device().is_cuda()) return device_backend(input.device()).allreduce(input, output, op, scale);
  const void* source = input.data();
  if (scale.prescale != 1.0) {  // scale a copy in the output, then reduce in place
    if (output.data() != input.data() && input.nbytes()) std::memcpy(output.data(), input.data(), input.nbytes());
    scale_elements(input.dtype(), output.data(), count, scale.prescale);
    source = output.data();
  }
  run_allreduce(source, output.data(), count, input.dtype(), op, hierarchical);
  if (scale.postscale != 1.0) scale_elements(output.dtype(), output.data(), count, scale.postscale);
}

// Small host buffers: log2(n) whole-buffer exchanges beat the ring's 2(n-1) steps.
bool Collectives::small_path(const Tensor& input, ReduceOp op, bool hierarchical) const {
  return !hierarchical && !input.device().is_cuda() && input.nbytes() <= options_.small_allreduce_bytes &&
         recursive_doubling_is_exact(input.dtype(), op);
}

// Small buffers (when the agreement check is off): recursive doubling. Large: the ring, or the
// hierarchical algorithm when chosen.
void Collectives::run_allreduce(const void* in, void* out, std::size_t count, DType dtype, ReduceOp op,
                                bool hierarchical) {
  if (hierarchical) {
    if (HierarchicalCollectives* backend = hierarchical_backend()) {
      return backend->allreduce(in, out, count, dtype, op, network_ring(), scratch_);
    }
  }
  if (count * dtype_size(dtype) <= options_.small_allreduce_bytes && recursive_doubling_is_exact(dtype, op)) {
    recursive_doubling_allreduce(context_.transport(), in, out, count, dtype, op, scratch_);
  } else {
    ring_allreduce(context_.transport(), in, out, count, dtype, op, group_ring(ring_options(options_)), scratch_);
  }
}

void Collectives::broadcast(const Tensor& tensor, int root) {
  const std::optional<Error> problem = first_error([&] {
    if (root < 0 || root >= context_.size()) {
      invalid(context_, "broadcast: root " + std::to_string(root) + " is not a rank of this group of " +
                            std::to_string(context_.size()));
    }
  });
  // Across hosts the flat chain already crosses each host link once, pipelined end to end, and
  // the hierarchical steps run one after the other (0.93-0.96x the chain at 2x2): Auto takes the
  // hierarchy for broadcasts on one host only, where shared memory beats the chain's messages.
  const bool hierarchical = !tensor.device().is_cuda() && hierarchical_path(tensor.nbytes()) &&
                            (options_.hierarchy == Hierarchy::Hierarchical || layout_->hosts == 1);
  agree(context_, options_, scratch_,
        {CollectiveKind::Broadcast, tensor.numel(), static_cast<std::int64_t>(tensor.dtype()), root, hierarchical ? 1 : 0,
         on_cuda(tensor)},
        "broadcast", problem);
  if (tensor.device().is_cuda()) return device_backend(tensor.device()).broadcast(tensor, root);
  if (hierarchical) {
    if (HierarchicalCollectives* backend = hierarchical_backend()) {
      return backend->broadcast(tensor.data(), tensor.nbytes(), root, network_ring());
    }
  }
  pipelined_broadcast(context_.transport(), tensor.data(), tensor.nbytes(), root,
                      group_ring(broadcast_options(options_, tensor.nbytes(), context_.size())));
}

void Collectives::barrier() {
  agree(context_, options_, scratch_, {CollectiveKind::Barrier}, "barrier", std::nullopt);
  dissemination_barrier(context_.transport());
}

std::vector<std::int64_t> Collectives::allgather(const Tensor& input, const AllocateOutput& allocate) {
  const std::optional<Error> problem = first_error([&] {
    require_rows(context_, "allgather", input);
  });
  const std::int64_t row = problem ? 0 : row_elements(input);
  const CallSignature call{CollectiveKind::Allgather, row, static_cast<std::int64_t>(input.dtype()), 0, 0, on_cuda(input)};
  agree(context_, options_, scratch_, call, "allgather", problem);
  // Every rank's first dimension, then the rows themselves, each by a ring allgather.
  const auto n = static_cast<std::size_t>(context_.size());
  const auto rank = static_cast<std::size_t>(context_.rank());
  std::vector<std::int64_t> first_dims(n, 0);
  first_dims[rank] = input.shape()[0];
  ring_allgather(context_.transport(), &first_dims[rank], first_dims.data(),
                 Partition::from_sizes(std::vector<std::size_t>(n, 1)), DType::I64, ring_options(options_));
  const std::vector<std::int64_t> shape =
      with_first_dim(input, std::accumulate(first_dims.begin(), first_dims.end(), std::int64_t{0}));
  Tensor output;
  const std::optional<Error> output_problem = first_error([&] {
    output = allocate(shape);
    require_output(context_, "allgather", output, input, shape);
  });
  const std::vector<std::size_t> bytes_of = scaled(first_dims, row * static_cast<std::int64_t>(dtype_size(input.dtype())));
  const bool hierarchical = !input.device().is_cuda() &&
                            hierarchical_path(std::accumulate(bytes_of.begin(), bytes_of.end(), std::size_t{0}));
  CallSignature with_path = call;
  with_path.detail = hierarchical ? 1 : 0;
  agree(context_, options_, scratch_, with_path, "allgather", output_problem);
  if (input.device().is_cuda()) {
    device_backend(input.device()).allgather(input, first_dims, output);
    return first_dims;
  }
  if (hierarchical) {
    if (HierarchicalCollectives* backend = hierarchical_backend()) {
      backend->allgather(input.data(), output.data(), bytes_of, network_ring(), work_);
      return first_dims;
    }
  }
  ring_allgather(context_.transport(), input.data(), output.data(), Partition::from_sizes(bytes_of), DType::U8,
                 group_ring(copy_options(options_)));
  return first_dims;
}

std::vector<std::int64_t> Collectives::allgather(const Tensor& input, const Tensor& output) {
  return allgather(input, [&](const std::vector<std::int64_t>&) { return output; });
}

void Collectives::reducescatter(const Tensor& input, const Tensor& output, ReduceOp op,
                                std::span<const std::int64_t> splits) {
  const auto n = static_cast<std::size_t>(context_.size());
  const auto rank = static_cast<std::size_t>(context_.rank());
  std::vector<std::int64_t> rows_of(splits.begin(), splits.end());
  const std::optional<Error> problem = first_error([&] {
    require_rows(context_, "reducescatter", input);
    const std::int64_t rows = input.shape()[0];
    if (rows_of.empty()) {  // the default split: the first (rows % n) ranks get one row more
      const auto ranks = static_cast<std::int64_t>(n);
      for (std::int64_t r = 0; r < ranks; ++r) rows_of.push_back(rows / ranks + (r < rows % ranks ? 1 : 0));
    }
    if (rows_of.size() != n) {
      invalid(context_, "reducescatter: splits has " + std::to_string(rows_of.size()) + " entries for " +
                            std::to_string(n) + " ranks");
    }
    std::int64_t total = 0;
    for (std::size_t r = 0; r < n; ++r) {
      if (rows_of[r] < 0) invalid(context_, "reducescatter: splits[" + std::to_string(r) + "] is negative");
      total += rows_of[r];
    }
    if (total != rows) {
      invalid(context_, "reducescatter: splits add up to " + std::to_string(total) + " rows but input " +
                            input.describe() + " has " + std::to_string(rows));
    }
    require_output(context_, "reducescatter", output, input, with_first_dim(input, rows_of[rank]));
  });
  agree(context_, options_, scratch_,
        {CollectiveKind::Reducescatter, input.numel(), static_cast<std::int64_t>(input.dtype()),
         static_cast<std::int64_t>(op), problem ? 0 : digest(rows_of), on_cuda(input)},
        "reducescatter", problem);
  if (input.device().is_cuda()) return device_backend(input.device()).reducescatter(input, rows_of, output, op);
  const Partition chunks = Partition::from_sizes(scaled(rows_of, row_elements(input)));
  const std::size_t element = dtype_size(input.dtype());
  if (work_.size() < input.nbytes()) work_.resize(input.nbytes());
  ring_reduce_scatter(context_.transport(), input.data(), work_.data(), chunks, input.dtype(), op,
                      group_ring(ring_options(options_)), scratch_);
  if (output.nbytes()) std::memcpy(output.data(), work_.data() + chunks.begin(rank) * element, output.nbytes());
}

std::vector<std::int64_t> Collectives::alltoall(const Tensor& input, std::span<const std::int64_t> splits,
                                                const AllocateOutput& allocate) {
  const auto n = static_cast<std::size_t>(context_.size());
  std::vector<std::int64_t> send_rows(splits.begin(), splits.end());
  const std::optional<Error> problem = first_error([&] {
    require_rows(context_, "alltoall", input);
    if (send_rows.size() != n) {
      invalid(context_, "alltoall: splits has " + std::to_string(send_rows.size()) + " entries for " +
                            std::to_string(n) + " ranks");
    }
    std::int64_t total = 0;
    for (std::size_t r = 0; r < n; ++r) {
      if (send_rows[r] < 0) invalid(context_, "alltoall: splits[" + std::to_string(r) + "] is negative");
      total += send_rows[r];
    }
    if (total != input.shape()[0]) {
      invalid(context_, "alltoall: splits add up to " + std::to_string(total) + " rows but input " +
                            input.describe() + " has " + std::to_string(input.shape()[0]));
    }
  });
  const std::int64_t row = problem ? 0 : row_elements(input);
  const CallSignature call{CollectiveKind::Alltoall, row, static_cast<std::int64_t>(input.dtype()), 0, 0, on_cuda(input)};
  agree(context_, options_, scratch_, call, "alltoall", problem);
  // First the row counts (one int64 to and from every rank), then the rows.
  std::vector<std::int64_t> recv_rows(n, 0);
  const std::vector<std::size_t> one(n, sizeof(std::int64_t));
  const std::vector<std::size_t> slots = offsets_of(one);
  pairwise_alltoall(context_.transport(), send_rows.data(), slots, one, recv_rows.data(), slots, one);
  const std::vector<std::int64_t> shape =
      with_first_dim(input, std::accumulate(recv_rows.begin(), recv_rows.end(), std::int64_t{0}));
  Tensor output;
  const std::optional<Error> output_problem = first_error([&] {
    output = allocate(shape);
    require_output(context_, "alltoall", output, input, shape);
  });
  agree(context_, options_, scratch_, call, "alltoall", output_problem);
  if (input.device().is_cuda()) {
    device_backend(input.device()).alltoall(input, send_rows, recv_rows, output);
    return recv_rows;
  }
  const auto row_bytes = row * static_cast<std::int64_t>(dtype_size(input.dtype()));
  const std::vector<std::size_t> send_bytes = scaled(send_rows, row_bytes), recv_bytes = scaled(recv_rows, row_bytes);
  pairwise_alltoall(context_.transport(), input.data(), offsets_of(send_bytes), send_bytes, output.data(),
                    offsets_of(recv_bytes), recv_bytes);
  return recv_rows;
}

}  // namespace ronde

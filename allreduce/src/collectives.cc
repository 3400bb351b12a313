#include "ronde/allreduce/collectives.h"

#include <cstdint>
#include <string>

#include "dissemination_barrier.h"
#include "pipelined_broadcast.h"
#include "recursive_doubling_allreduce.h"
#include "ring_allreduce.h"
#include "ronde/core/error.h"

namespace ronde {

namespace {

[[noreturn]] void invalid(const Context& context, const std::string& message) {
  throw Error(ErrorCode::InvalidArgument, message + " (rank " + std::to_string(context.rank()) + ")");
}

void require_host(const Context& context, const char* operation, const char* name, const Tensor& tensor) {
  if (!tensor.device().is_cpu()) {
    invalid(context, std::string(operation) + ": " + name + " is " + tensor.describe() +
                         ", but the host collectives take CPU tensors (CUDA tensors go through the NCCL backend)");
  }
}

bool overlap(const Tensor& a, const Tensor& b) {
  const auto* a_begin = static_cast<const std::byte*>(a.data());
  const auto* b_begin = static_cast<const std::byte*>(b.data());
  return a_begin < b_begin + b.nbytes() && b_begin < a_begin + a.nbytes();
}

RingOptions ring_options(const CollectiveOptions& options) { return {options.segment_bytes, options.pipeline_depth}; }

// Recursive doubling needs every combination to give the same bits whichever partner computes
// it. Sum and product are commutative; floating min/max are not bitwise (-0 vs +0, NaN), so they
// always take the ring, which computes each result once.
bool recursive_doubling_is_exact(DType dtype, ReduceOp op) {
  return op == ReduceOp::Sum || op == ReduceOp::Average || op == ReduceOp::Product || !is_floating_point(dtype);
}

// What one rank asked for, as exchanged by the agreement check.
struct CallSignature {
  std::int64_t kind;  // 1 allreduce, 2 broadcast, 3 barrier
  std::int64_t count;
  std::int64_t dtype;
  std::int64_t op_or_root;
};
constexpr std::size_t kSignatureFields = 4;

std::string describe(const CallSignature& call) {
  switch (call.kind) {
    case 1:
      return "allreduce of " + std::to_string(call.count) + " " +
             std::string(to_string(static_cast<DType>(call.dtype))) + " (" +
             std::string(to_string(static_cast<ReduceOp>(call.op_or_root))) + ")";
    case 2:
      return "broadcast of " + std::to_string(call.count) + " " + std::string(to_string(static_cast<DType>(call.dtype))) +
             " from root " + std::to_string(call.op_or_root);
    default: return "barrier";
  }
}

}  // namespace

CollectiveOptions CollectiveOptions::from_env(const Environment& env) {
  CollectiveOptions options;
  options.segment_bytes = env.get_bytes("RONDE_RING_SEGMENT_BYTES", options.segment_bytes);
  options.pipeline_depth = static_cast<int>(env.get_int("RONDE_RING_PIPELINE_DEPTH", options.pipeline_depth));
  options.verify_arguments = env.get_bool("RONDE_VERIFY_ARGUMENTS", options.verify_arguments);
  options.small_allreduce_bytes = env.get_bytes("RONDE_SMALL_ALLREDUCE_BYTES", options.small_allreduce_bytes);
  if (options.segment_bytes == 0) {
    throw Error(ErrorCode::InvalidArgument, "RONDE_RING_SEGMENT_BYTES must be at least 1 byte");
  }
  if (options.pipeline_depth < 2) {
    throw Error(ErrorCode::InvalidArgument,
                "RONDE_RING_PIPELINE_DEPTH=" + std::to_string(options.pipeline_depth) + " must be at least 2");
  }
  return options;
}

// Every rank contributes its CallSignature to row `rank` of a table (other rows zero); a ring sum
// of the table is an allgather of it. If any row differs, every rank throws the same Mismatch
// error listing what each rank asked for, instead of entering a ring that could hang.
void Collectives::verify_agreement(const char* operation, std::int64_t kind, const Tensor* tensor,
                                   std::int64_t op_or_root) {
  if (!options_.verify_arguments || context_.size() == 1) return;
  const std::size_t n = static_cast<std::size_t>(context_.size());
  std::vector<std::int64_t> table(n * kSignatureFields, 0);
  const CallSignature mine{kind, tensor ? tensor->numel() : 0, tensor ? static_cast<std::int64_t>(tensor->dtype()) : 0,
                           op_or_root};
  std::int64_t* row = &table[static_cast<std::size_t>(context_.rank()) * kSignatureFields];
  row[0] = mine.kind, row[1] = mine.count, row[2] = mine.dtype, row[3] = mine.op_or_root;
  run_allreduce(table.data(), table.data(), table.size(), DType::I64, ReduceOp::Sum);
  bool agree = true;
  for (std::size_t i = 0; i < table.size(); ++i) agree &= table[i] == table[i % kSignatureFields];
  if (agree) return;
  std::string listing;
  for (std::size_t r = 0; r < n; ++r) {
    const std::int64_t* fields = &table[r * kSignatureFields];
    listing += (r ? "; rank " : "rank ") + std::to_string(r) + ": " +
               describe(CallSignature{fields[0], fields[1], fields[2], fields[3]});
  }
  throw Error(ErrorCode::Mismatch, std::string(operation) + ": the ranks called different collectives or with "
                                       "different arguments: " + listing);
}

Collectives::Collectives(Context& context, CollectiveOptions options) : context_(context), options_(options) {
  if (options_.segment_bytes == 0) throw Error(ErrorCode::InvalidArgument, "CollectiveOptions::segment_bytes is 0");
  if (options_.pipeline_depth < 2) throw Error(ErrorCode::InvalidArgument, "CollectiveOptions::pipeline_depth < 2");
}

void Collectives::allreduce(const Tensor& input, const Tensor& output, ReduceOp op) {
  require_host(context_, "allreduce", "input", input);
  require_host(context_, "allreduce", "output", output);
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
  verify_agreement("allreduce", 1, &input, static_cast<std::int64_t>(op));
  run_allreduce(input.data(), output.data(), static_cast<std::size_t>(input.numel()), input.dtype(), op);
}

// Small buffers: log2(n) whole-buffer exchanges beat the ring's 2(n-1) steps. Large: the ring.
void Collectives::run_allreduce(const void* in, void* out, std::size_t count, DType dtype, ReduceOp op) {
  if (count * dtype_size(dtype) <= options_.small_allreduce_bytes && recursive_doubling_is_exact(dtype, op)) {
    recursive_doubling_allreduce(context_.transport(), in, out, count, dtype, op, scratch_);
  } else {
    ring_allreduce(context_.transport(), in, out, count, dtype, op, ring_options(options_), scratch_);
  }
}

void Collectives::broadcast(const Tensor& tensor, int root) {
  require_host(context_, "broadcast", "tensor", tensor);
  if (root < 0 || root >= context_.size()) {
    invalid(context_, "broadcast: root " + std::to_string(root) + " is not a rank of this group of " +
                          std::to_string(context_.size()));
  }
  verify_agreement("broadcast", 2, &tensor, root);
  pipelined_broadcast(context_.transport(), tensor.data(), tensor.nbytes(), root, ring_options(options_));
}

void Collectives::barrier() {
  verify_agreement("barrier", 3, nullptr, 0);
  dissemination_barrier(context_.transport());
}

}  // namespace ronde

// Blocking collectives on host (CPU) tensors, run by ronde's own algorithms over the Context's
// transport (MPI point-to-point under mpirun).
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
#include <vector>

#include "ronde/core/context.h"
#include "ronde/core/env.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

namespace ronde {

struct CollectiveOptions {
  // Pipelining unit of the ring algorithms: the reduction of one segment overlaps the transfer of
  // the next. RONDE_RING_SEGMENT_BYTES.
  std::size_t segment_bytes = 256 * 1024;
  // Receives kept posted ahead of the one being reduced (at least 2). RONDE_RING_PIPELINE_DEPTH.
  int pipeline_depth = 4;
  // Before each call, exchange what every rank asked for (operation, element count, dtype, op or
  // root) so that disagreeing ranks all get an Error(Mismatch) listing each rank's call instead of
  // a hang or garbage. Costs one small-message ring per call. RONDE_VERIFY_ARGUMENTS.
  bool verify_arguments = true;
  // Allreduces of at most this many bytes use recursive doubling (log2 n whole-buffer exchanges)
  // instead of the ring, except floating-point min/max. 0 disables. RONDE_SMALL_ALLREDUCE_BYTES.
  std::size_t small_allreduce_bytes = 64 * 1024;

  static CollectiveOptions from_env(const Environment& env = Environment::process());
};

class Collectives {
 public:
  explicit Collectives(Context& context, CollectiveOptions options = CollectiveOptions::from_env());

  // output = op over all ranks' input, element-wise. input and output may be the same memory
  // (in place) or disjoint; they must have the same dtype and element count and be CPU tensors.
  // Throws Error(InvalidArgument) naming the offending argument.
  void allreduce(const Tensor& input, const Tensor& output, ReduceOp op);
  void allreduce(const Tensor& tensor, ReduceOp op) { allreduce(tensor, tensor, op); }

  // Copies root's tensor into every rank's tensor (same dtype and element count everywhere).
  void broadcast(const Tensor& tensor, int root);

  // Returns once every rank has entered it.
  void barrier();

  const CollectiveOptions& options() const { return options_; }

 private:
  void run_allreduce(const void* in, void* out, std::size_t count, DType dtype, ReduceOp op);
  void verify_agreement(const char* operation, std::int64_t kind, const Tensor* tensor, std::int64_t op_or_root);
  Context& context_;
  CollectiveOptions options_;
  std::vector<std::byte> scratch_;  // receive slots of the ring, reused across calls
};

}  // namespace ronde

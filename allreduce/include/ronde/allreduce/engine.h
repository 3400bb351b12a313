// Engine: Horovod-style asynchronous collectives on named tensors.
//
//   ronde::Context ctx = ronde::init();
//   ronde::Engine engine(ctx);
//   auto h = engine.allreduce_async("grad/fc1.w", ronde::Tensor::of(grad), ronde::ReduceOp::Average);
//   ...                        // keep computing; the engine communicates in the background
//   h.wait();                  // rethrows Error(Mismatch / Timeout / ...) if the operation failed
//
// One background thread per Engine owns all of its communication. Each cycle
// (EngineOptions::cycle_time) it tells the coordinator (rank 0) which names became ready on this
// rank; once a name is ready on every rank, the coordinator checks that every rank asked for the
// same thing (operation, dtype, shape, reduce op, root, device, scale factors, compression) and
// puts it in one order that all ranks then run, so ranks may enqueue names in different orders.
// A disagreement fails that name's handle on every rank with Error(Mismatch) naming the tensor
// and each rank's values. Names negotiated before are answered from a response cache without the
// round trip to rank 0. Ready allreduces that agree in dtype, op, device, scale and compression are
// packed into a fusion buffer (up to fusion_threshold bytes) and reduced by one collective.
//
// Contract for callers:
//  - A name may have at most one operation in flight per rank; enqueueing a name that is already
//    pending is Error(InvalidArgument). After it completes, the name may be enqueued again.
//  - Tensors (input and output) must stay valid and unmodified until the handle completes.
//  - Every rank must eventually enqueue every name that any rank enqueues (or call join()), else
//    the stall inspector warns and, with stall_shutdown set, fails the waiting handles.
//  - Engine's methods may be called from any thread. Its destructor (or shutdown()) must be
//    reached on every rank; pending handles then complete or fail with Error(Cancelled).
// The Engine uses the Context's transport on its own tags; do not run Collectives on the same
// Context from another thread while an Engine is alive.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/env.h"
#include "ronde/core/error.h"
#include "ronde/core/reduce_op.h"
#include "ronde/core/tensor.h"

namespace ronde {

// Compression of float32 allreduces: cast to 16 bits, reduce, cast back (halves the bytes moved;
// f16 keeps ~3 significant digits and overflows above 65504, bf16 keeps the f32 range with ~2).
enum class Compression { None, Float16, BFloat16 };

struct EngineOptions {
  // Ready allreduces are fused into buffers of at most this many bytes; 0 disables fusion.
  // RONDE_FUSION_THRESHOLD (bytes, with K/M/G suffixes).
  std::size_t fusion_threshold = 64 * 1024 * 1024;
  // Host (CPU) allreduces larger than this are reduced in place, never copied into the fusion
  // buffer: for them a collective's fixed cost is small, while packing and unpacking would cost
  // two extra passes over memory. CUDA tensors are always fused (device copies are cheap).
  // RONDE_FUSION_HOST_TENSOR_LIMIT.
  std::size_t fusion_host_tensor_limit = 1024 * 1024;
  // How often the background thread negotiates newly ready tensors. RONDE_CYCLE_TIME_MS.
  std::chrono::microseconds cycle_time{1000};
  // Negotiated names remembered so that later cycles skip the round trip to rank 0; 0 disables
  // the cache. RONDE_CACHE_CAPACITY.
  std::size_t cache_capacity = 1024;
  // Warn, naming each waiting tensor and the ranks that have not submitted it, when a tensor has
  // waited this long; 0 disables. RONDE_STALL_CHECK_SECONDS.
  std::chrono::seconds stall_check{60};
  // Fail the waiting handles with Error(Timeout) after this long; 0 (the default) never does.
  // RONDE_STALL_SHUTDOWN_SECONDS.
  std::chrono::seconds stall_shutdown{0};
  // Write a Chrome trace (chrome://tracing, Perfetto) of every tensor's phases to this file;
  // empty: none. Written by rank 0 only unless the path contains "%r", replaced by the rank.
  // RONDE_TIMELINE.
  std::string timeline_path;
  // Default compression of float32 allreduces (per call: CallOptions::compression).
  // RONDE_COMPRESSION (none, fp16, bf16).
  Compression compression = Compression::None;
  // Options of the collectives the engine runs.
  CollectiveOptions collectives;

  static EngineOptions from_env(const Environment& env = Environment::process());
};

// Per-call options.
struct CallOptions {
  AllreduceScale scale;                      // allreduce only
  std::optional<Compression> compression;    // allreduce only; none: EngineOptions::compression
  // Called once, on the engine's thread, when the operation completes: with nullptr on success,
  // else with the error. It must not block on other handles of the same engine.
  std::function<void(const Error*)> on_complete;
};

// The result of an asynchronous operation. Copyable; all copies refer to the same operation.
class Handle {
 public:
  Handle() = default;
  // Blocks until the operation completes; rethrows its error.
  void wait() const;
  // Waits at most `timeout`; true when complete (then wait() returns or throws at once).
  bool wait_for(std::chrono::milliseconds timeout) const;
  // True once complete, successfully or not; never throws.
  bool poll() const;
  // For allgather and alltoall: the number of first-dimension rows each rank contributed
  // (allgather) or sent to this rank (alltoall). Valid after a successful wait().
  const std::vector<std::int64_t>& received_rows() const;
  const std::string& name() const;

  struct State;
  explicit Handle(std::shared_ptr<State> state) : state_(std::move(state)) {}

 private:
  std::shared_ptr<State> state_;
};

class Engine {
 public:
  explicit Engine(Context& context, EngineOptions options = EngineOptions::from_env());
  ~Engine();  // shutdown()
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // output = op over ranks of input (in place when output is input); see Collectives::allreduce.
  Handle allreduce_async(std::string name, const Tensor& input, const Tensor& output, ReduceOp op,
                         CallOptions options = {});
  Handle allreduce_async(std::string name, const Tensor& tensor, ReduceOp op, CallOptions options = {}) {
    return allreduce_async(std::move(name), tensor, tensor, op, std::move(options));
  }
  // Concatenation along the first dimension; `allocate` is called on the engine's thread with the
  // full shape once the ranks' sizes are known (see Collectives::allgather).
  Handle allgather_async(std::string name, const Tensor& input, AllocateOutput allocate, CallOptions options = {});
  Handle broadcast_async(std::string name, const Tensor& tensor, int root, CallOptions options = {});
  Handle reducescatter_async(std::string name, const Tensor& input, const Tensor& output, ReduceOp op,
                             std::vector<std::int64_t> splits = {}, CallOptions options = {});
  Handle alltoall_async(std::string name, const Tensor& input, std::vector<std::int64_t> splits,
                        AllocateOutput allocate, CallOptions options = {});

  // Blocking forms: enqueue and wait.
  void allreduce(std::string name, const Tensor& tensor, ReduceOp op, CallOptions options = {}) {
    allreduce_async(std::move(name), tensor, op, std::move(options)).wait();
  }
  void broadcast(std::string name, const Tensor& tensor, int root) { broadcast_async(std::move(name), tensor, root).wait(); }

  // Called by a rank that has no more data: until every rank has joined, this rank takes part in
  // the others' allreduces contributing zeros (so Average divides by the full world size, as
  // Horovod does), and in their broadcasts as a receiver. Other operations enqueued by the others
  // while a rank has joined fail with Error(InvalidArgument) naming the joined rank. Blocks until
  // every rank has joined; returns the rank that joined last. The engine is usable again after.
  int join();

  // Completes or fails every pending handle and stops the background thread; collective: every
  // rank must call it (the destructor does). Further calls return at once; enqueueing afterwards
  // is Error(Cancelled).
  void shutdown();

  const EngineOptions& options() const;
  Context& context();

  // Counters for tests, logs and benchmarks.
  struct Stats {
    std::uint64_t cycles = 0;
    std::uint64_t operations = 0;           // completed operations
    std::uint64_t collectives = 0;          // collectives run (a fused batch counts once)
    std::uint64_t fused_tensors = 0;        // tensors that ran in a batch of two or more
    std::uint64_t cache_hits = 0;           // names negotiated through the response cache
    std::uint64_t coordinator_round_trips = 0;
  };
  Stats stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ronde

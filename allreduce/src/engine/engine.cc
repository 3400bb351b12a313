// Engine: the public API. Checks each call's arguments on the caller's thread (so that a bad
// argument throws at once, naming it, instead of travelling to the other ranks), builds the
// request every rank will compare, and hands the operation to the background loop.
#include "ronde/allreduce/engine.h"

#include <mutex>
#include <thread>

#include "engine/background_loop.h"
#include "engine/counters.h"
#include "engine/submission_queue.h"
#include "engine/timeline.h"

namespace ronde {

using engine::OpKind;
using engine::Operation;
using engine::OperationPtr;

struct Engine::Impl {
  Impl(Context& context_, EngineOptions options_) : context(context_), options(std::move(options_)) {
    if (Timeline::rank_writes(options.timeline_path, context.rank())) {
      timeline = std::make_unique<Timeline>(options.timeline_path, context.rank());
    }
    loop = std::make_unique<engine::BackgroundLoop>(context, options, queue, counters, timeline.get());
    thread = std::thread([this] { loop->run(); });
  }

  [[noreturn]] void invalid(const std::string& name, const std::string& message) const {
    throw Error(ErrorCode::InvalidArgument,
                "engine: tensor '" + name + "': " + message + " (rank " + std::to_string(context.rank()) + ")");
  }

  // Fills the fields every kind shares, checks the name, and queues the operation.
  Handle submit(OperationPtr operation, OpKind kind, CallOptions& call) {
    engine::Request& request = operation->request;
    if (request.name.empty()) invalid(request.name, "the name is empty");
    request.kind = kind;
    request.dtype = operation->input.dtype();
    request.shape = operation->input.shape();
    request.device = operation->input.device().kind;
    operation->enqueued = std::chrono::steady_clock::now();
    operation->state = std::make_shared<Handle::State>(request.name, std::move(call.on_complete));
    Handle handle(operation->state);
    queue.push(std::move(operation));
    return handle;
  }

  void require_rows(const std::string& name, const Tensor& tensor) const {
    if (tensor.shape().empty()) invalid(name, "input is a scalar (" + tensor.describe() + "); it needs a first dimension");
  }

  // Row counts per rank: as many as ranks, none negative, adding up to the input's first dimension.
  void require_splits(const std::string& name, const Tensor& input, const std::vector<std::int64_t>& splits) const {
    if (static_cast<int>(splits.size()) != context.size()) {
      invalid(name, "splits has " + std::to_string(splits.size()) + " entries for " + std::to_string(context.size()) + " ranks");
    }
    std::int64_t total = 0;
    for (std::int64_t rows : splits) {
      if (rows < 0) invalid(name, "splits has a negative entry");
      total += rows;
    }
    if (total != input.shape()[0]) {
      invalid(name, "splits add up to " + std::to_string(total) + " rows but input " + input.describe() + " has " +
                        std::to_string(input.shape()[0]));
    }
  }

  Context& context;
  EngineOptions options;
  engine::SubmissionQueue queue;
  engine::Counters counters;
  std::unique_ptr<Timeline> timeline;
  std::unique_ptr<engine::BackgroundLoop> loop;
  std::thread thread;
  std::mutex shutdown_mutex;
};

Engine::Engine(Context& context, EngineOptions options) : impl_(std::make_unique<Impl>(context, std::move(options))) {}

Engine::~Engine() { shutdown(); }

void Engine::shutdown() {
  std::lock_guard<std::mutex> lock(impl_->shutdown_mutex);
  if (!impl_->thread.joinable()) return;
  impl_->queue.request_shutdown();
  impl_->thread.join();
  if (impl_->timeline) impl_->timeline->flush();
}

const EngineOptions& Engine::options() const { return impl_->options; }
Context& Engine::context() { return impl_->context; }
Engine::Stats Engine::stats() const { return impl_->counters.snapshot(); }

Handle Engine::allreduce_async(std::string name, const Tensor& input, const Tensor& output, ReduceOp op,
                               CallOptions options) {
  auto operation = std::make_unique<Operation>();
  if (input.device() != output.device()) {
    impl_->invalid(name, "input is " + input.describe() + " but output is " + output.describe() + ": both must be on the same device");
  }
  if (input.dtype() != output.dtype() || input.numel() != output.numel()) {
    impl_->invalid(name, "input is " + input.describe() + " but output is " + output.describe() +
                             ": they need the same dtype and element count");
  }
  const auto* in = static_cast<const std::byte*>(input.data());
  const auto* out = static_cast<const std::byte*>(output.data());
  if (in != out && in < out + output.nbytes() && out < in + input.nbytes()) {
    impl_->invalid(name, "input and output overlap without being the same memory");
  }
  if ((options.scale.prescale != 1.0 || options.scale.postscale != 1.0) && !is_floating_point(input.dtype())) {
    impl_->invalid(name, "scale factors need a floating-point tensor, input is " + input.describe());
  }
  engine::Request& request = operation->request;
  request.name = std::move(name);
  request.op = op;
  request.prescale = options.scale.prescale;
  request.postscale = options.scale.postscale;
  // Compression applies to float32 only; other dtypes travel as they are.
  const Compression compression = options.compression.value_or(impl_->options.compression);
  request.compression = input.dtype() == DType::F32 ? compression : Compression::None;
  operation->input = input;
  operation->output = output;
  return impl_->submit(std::move(operation), OpKind::Allreduce, options);
}

Handle Engine::allgather_async(std::string name, const Tensor& input, AllocateOutput allocate, CallOptions options) {
  impl_->require_rows(name, input);
  if (!allocate) impl_->invalid(name, "allgather needs an AllocateOutput function");
  auto operation = std::make_unique<Operation>();
  operation->request.name = std::move(name);
  operation->input = input;
  operation->allocate = std::move(allocate);
  return impl_->submit(std::move(operation), OpKind::Allgather, options);
}

Handle Engine::broadcast_async(std::string name, const Tensor& tensor, int root, CallOptions options) {
  if (root < 0 || root >= impl_->context.size()) {
    impl_->invalid(name, "broadcast root " + std::to_string(root) + " is not a rank of this group of " +
                             std::to_string(impl_->context.size()));
  }
  auto operation = std::make_unique<Operation>();
  operation->request.name = std::move(name);
  operation->request.root = root;
  operation->input = tensor;
  operation->output = tensor;
  return impl_->submit(std::move(operation), OpKind::Broadcast, options);
}

Handle Engine::reducescatter_async(std::string name, const Tensor& input, const Tensor& output, ReduceOp op,
                                   std::vector<std::int64_t> splits, CallOptions options) {
  impl_->require_rows(name, input);
  std::vector<std::int64_t> rows_of = splits;
  if (rows_of.empty()) {  // the default split: the first (rows % n) ranks get one row more
    const std::int64_t rows = input.shape()[0], n = impl_->context.size();
    for (std::int64_t r = 0; r < n; ++r) rows_of.push_back(rows / n + (r < rows % n ? 1 : 0));
  }
  impl_->require_splits(name, input, rows_of);
  std::vector<std::int64_t> shape = input.shape();
  shape[0] = rows_of[static_cast<std::size_t>(impl_->context.rank())];
  if (output.dtype() != input.dtype() || output.shape() != shape || output.device() != input.device()) {
    impl_->invalid(name, "reducescatter output is " + output.describe() + " but must be " +
                             std::string(to_string(input.dtype())) + shape_to_string(shape) + " on " +
                             input.device().to_string());
  }
  auto operation = std::make_unique<Operation>();
  operation->request.name = std::move(name);
  operation->request.op = op;
  operation->request.splits = std::move(splits);
  operation->input = input;
  operation->output = output;
  return impl_->submit(std::move(operation), OpKind::Reducescatter, options);
}

Handle Engine::alltoall_async(std::string name, const Tensor& input, std::vector<std::int64_t> splits,
                              AllocateOutput allocate, CallOptions options) {
  impl_->require_rows(name, input);
  impl_->require_splits(name, input, splits);
  if (!allocate) impl_->invalid(name, "alltoall needs an AllocateOutput function");
  auto operation = std::make_unique<Operation>();
  operation->request.name = std::move(name);
  operation->input = input;
  operation->splits = std::move(splits);
  operation->allocate = std::move(allocate);
  return impl_->submit(std::move(operation), OpKind::Alltoall, options);
}

int Engine::join() {
  std::shared_ptr<Handle::State> state = impl_->queue.join();
  Handle(state).wait();
  return static_cast<int>(state->received_rows.at(0));
}

}  // namespace ronde

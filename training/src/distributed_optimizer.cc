#include "ronde/training/distributed_optimizer.h"

#include <mutex>
#include <string>
#include <utility>

#include "ronde/core/error.h"

namespace ronde::training {
namespace {

// Groups parameters, last first, into buckets of at most `bucket_bytes` of gradient (a larger
// gradient alone); bucket_bytes 0: one gradient per bucket.
std::vector<std::vector<std::size_t>> make_buckets(const std::vector<optim::Parameter>& parameters,
                                                   std::size_t bucket_bytes) {
  std::vector<std::vector<std::size_t>> buckets;
  std::size_t filled = 0;
  for (std::size_t i = parameters.size(); i-- > 0;) {
    const std::size_t bytes = parameters[i].grad.nbytes();
    if (buckets.empty() || bucket_bytes == 0 || filled + bytes > bucket_bytes) {
      buckets.emplace_back();
      filled = 0;
    }
    buckets.back().push_back(i);
    filled += bytes;
  }
  return buckets;
}

}  // namespace

DistributedOptimizerOptions DistributedOptimizerOptions::from_env(const Environment& env) {
  DistributedOptimizerOptions options;
  options.bucket_bytes = env.get_bytes("RONDE_BUCKET_BYTES", options.bucket_bytes);
  return options;
}

// One step's gradient phase; guarded by `mutex` (mark_ready may come from several threads).
struct DistributedOptimizer::Step {
  std::mutex mutex;
  std::vector<bool> marked;             // per parameter
  std::vector<std::size_t> unmarked;    // per bucket: gradients not yet marked
  std::size_t next_bucket = 0;          // the first bucket not launched
  std::vector<Handle> handles;          // of the launched gradients
  std::exception_ptr launch_error;      // the first error enqueueing a gradient

  void reset(const std::vector<std::vector<std::size_t>>& buckets, std::size_t parameters) {
    marked.assign(parameters, false);
    unmarked.clear();
    for (const auto& bucket : buckets) unmarked.push_back(bucket.size());
    next_bucket = 0;
    handles.clear();
    launch_error = nullptr;
  }
};

DistributedOptimizer::DistributedOptimizer(Engine& engine, optim::Optimizer& optimizer,
                                           DistributedOptimizerOptions options)
    : engine_(engine), optimizer_(optimizer), options_(std::move(options)), step_(std::make_unique<Step>()) {
  const auto& parameters = optimizer_.parameters();
  buckets_ = make_buckets(parameters, options_.bucket_bytes);
  bucket_of_.resize(parameters.size());
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    for (std::size_t index : buckets_[b]) bucket_of_[index] = b;
  }
  for (std::size_t i = 0; i < parameters.size(); ++i) {
    engine_names_.push_back(options_.name_prefix + parameters[i].name);
    index_by_name_.emplace(parameters[i].name, i);
  }
  step_->reset(buckets_, parameters.size());
}

DistributedOptimizer::~DistributedOptimizer() {
  std::vector<Handle> handles;
  {
    std::lock_guard<std::mutex> lock(step_->mutex);
    handles.swap(step_->handles);
  }
  for (const Handle& handle : handles) {
    try {
      handle.wait();
    } catch (...) {
      // Dropped: a destructor must not throw, and the step is abandoned anyway.
    }
  }
}

std::size_t DistributedOptimizer::index_of(std::string_view name) const {
  const auto found = index_by_name_.find(name);
  if (found != index_by_name_.end()) return found->second;
  throw Error(ErrorCode::InvalidArgument,
              "DistributedOptimizer::mark_ready: no parameter named '" + std::string(name) + "'");
}

void DistributedOptimizer::mark_ready(std::string_view name) { mark_ready(index_of(name)); }

void DistributedOptimizer::mark_ready(std::size_t index) {
  const auto& parameters = optimizer_.parameters();
  if (index >= parameters.size()) {
    throw Error(ErrorCode::InvalidArgument, "DistributedOptimizer::mark_ready: parameter index " +
                                                std::to_string(index) + " out of range (the optimizer has " +
                                                std::to_string(parameters.size()) + " parameters)");
  }
  std::lock_guard<std::mutex> lock(step_->mutex);
  if (step_->marked[index]) {
    throw Error(ErrorCode::InvalidArgument, "DistributedOptimizer::mark_ready: the gradient of '" +
                                                parameters[index].name +
                                                "' was marked ready twice in one step");
  }
  step_->marked[index] = true;
  --step_->unmarked[bucket_of_[index]];
  launch_ready_buckets();
}

void DistributedOptimizer::launch_ready_buckets() {
  Step& step = *step_;
  const auto& parameters = optimizer_.parameters();
  while (step.next_bucket < buckets_.size() && step.unmarked[step.next_bucket] == 0) {
    for (std::size_t index : buckets_[step.next_bucket]) {
      if (step.launch_error) break;  // the step has failed; synchronize() reports it
      CallOptions call;
      call.compression = options_.compression;
      try {
        step.handles.push_back(
            engine_.allreduce_async(engine_names_[index], parameters[index].grad, ReduceOp::Average, std::move(call)));
      } catch (...) {
        step.launch_error = std::current_exception();
      }
    }
    ++step.next_bucket;
  }
}

std::exception_ptr DistributedOptimizer::wait_launched() {
  std::vector<Handle> handles;
  std::exception_ptr error;
  {
    std::lock_guard<std::mutex> lock(step_->mutex);
    handles.swap(step_->handles);
    error = step_->launch_error;
  }
  for (const Handle& handle : handles) {
    try {
      handle.wait();
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  return error;
}

void DistributedOptimizer::synchronize() {
  {
    std::lock_guard<std::mutex> lock(step_->mutex);
    std::string missing;
    std::size_t count = 0;
    const auto& parameters = optimizer_.parameters();
    for (std::size_t i = 0; i < parameters.size(); ++i) {
      if (step_->marked[i]) continue;
      if (count < 8) missing += (count ? ", '" : "'") + parameters[i].name + "'";
      ++count;
    }
    if (count != 0) {
      if (count > 8) missing += " and " + std::to_string(count - 8) + " more";
      throw Error(ErrorCode::InvalidArgument,
                  "DistributedOptimizer: synchronize/step before the gradient" + std::string(count > 1 ? "s" : "") +
                      " of " + missing + " " + (count > 1 ? "were" : "was") +
                      " marked ready (call mark_ready for every parameter each step)");
    }
  }
  std::exception_ptr error = wait_launched();
  {
    std::lock_guard<std::mutex> lock(step_->mutex);
    step_->reset(buckets_, optimizer_.parameters().size());
  }
  if (error) std::rethrow_exception(error);
}

void DistributedOptimizer::step() {
  synchronize();
  optimizer_.step();
}

}  // namespace ronde::training

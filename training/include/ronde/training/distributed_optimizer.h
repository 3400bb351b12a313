// The data-parallel gradient path: gradients are averaged over ranks through the engine while the
// backward pass still runs, then the wrapped optimizer steps.
//
//   ronde::Engine engine(ctx);
//   auto opt = ronde::optim::make_adamw(params, {.lr = 1e-3});
//   ronde::training::broadcast_parameters(engine, params, /*root=*/0);   // start identical
//   ronde::training::DistributedOptimizer dopt(engine, *opt);
//   for (...) {
//     forward();
//     for (each gradient backward produces, last layer first) dopt.mark_ready(index or name);
//     dopt.step();               // waits for the averaged gradients, then opt->step()
//   }
//
// Buckets, as PyTorch DDP makes them: the parameters, in reverse order (backward produces the last
// layer's gradients first), are grouped into buckets of about `bucket_bytes` of gradient each.
// Once every gradient of a bucket is marked ready, the bucket is launched: each of its gradients
// is enqueued on the engine (allreduce_async, ReduceOp::Average, in place, named
// name_prefix + parameter name), where the engine's fusion packs them into few collectives.
// Buckets launch in their fixed order (bucket k only after bucket k-1), so every rank hands the
// engine the same groups in the same order even when backward marks gradients in a different order
// on different ranks; communication of early buckets overlaps the computation of later gradients.
//
// Contract:
//  - Every rank wraps an optimizer over the same parameters (names, dtypes, shapes, order) and
//    marks every gradient once per step; a gradient's memory must not be written after it is marked
//    until synchronize() returns.
//  - Marking a gradient twice in one step, marking an unknown name or index, and synchronize()/
//    step() with a gradient not yet marked are Error(InvalidArgument) naming the parameter(s);
//    the step's state is unchanged by such an error (the missing marks may still be made).
//  - An error of the engine (Mismatch, Timeout, Cancelled, ... whether from enqueueing a bucket or
//    from its completion) is rethrown by synchronize()/step() once every launched bucket has
//    completed; the step is then over (marks are cleared, the optimizer has not stepped).
//  - mark_ready may be called from several threads (e.g. the autograd engine's).
#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/allreduce/engine.h"
#include "ronde/core/env.h"
#include "ronde/optim/optimizer.h"
#include "ronde/optim/parameter.h"

namespace ronde::training {

struct DistributedOptimizerOptions {
  // Gradient bytes per bucket (a gradient larger than this is a bucket alone); 0 puts each
  // gradient in its own bucket. RONDE_BUCKET_BYTES (bytes, with K/M/G suffixes).
  std::size_t bucket_bytes = 25 * 1024 * 1024;
  // Compression of the gradients' allreduces; none: the engine's default
  // (EngineOptions::compression, RONDE_COMPRESSION).
  std::optional<Compression> compression;
  // Engine names of the gradients: prefix + parameter name. Two DistributedOptimizers on one
  // engine need different prefixes when their parameter names overlap.
  std::string name_prefix = "grad/";

  static DistributedOptimizerOptions from_env(const Environment& env = Environment::process());
};

class DistributedOptimizer {
 public:
  // Keeps references to `engine` and `optimizer`, which must outlive it.
  DistributedOptimizer(Engine& engine, optim::Optimizer& optimizer,
                       DistributedOptimizerOptions options = DistributedOptimizerOptions::from_env());
  // Waits for launched buckets (their errors are dropped); never throws.
  ~DistributedOptimizer();
  DistributedOptimizer(const DistributedOptimizer&) = delete;
  DistributedOptimizer& operator=(const DistributedOptimizer&) = delete;

  // The gradient of parameter `index` (its position in optimizer.parameters()) or `name` is
  // final for this step; launches its bucket (and the full buckets after it) when that completes
  // the bucket.
  void mark_ready(std::size_t index);
  void mark_ready(std::string_view name);

  // Waits until every gradient holds the average over ranks; ends the step's gradient phase (the
  // next mark_ready starts a new step). Use it to inspect or clip the averaged gradients before
  // calling optimizer().step() yourself.
  void synchronize();
  // synchronize(), then one step of the wrapped optimizer.
  void step();

  optim::Optimizer& optimizer() { return optimizer_; }
  const DistributedOptimizerOptions& options() const { return options_; }
  // The buckets in launch order, as indices into optimizer().parameters().
  const std::vector<std::vector<std::size_t>>& buckets() const { return buckets_; }

 private:
  struct Step;
  std::size_t index_of(std::string_view name) const;
  // Launches, in order, the buckets that are complete and not yet launched. Caller holds the lock.
  void launch_ready_buckets();
  // Waits for every launched handle; returns the first error (nullptr if none).
  std::exception_ptr wait_launched();

  Engine& engine_;
  optim::Optimizer& optimizer_;
  DistributedOptimizerOptions options_;
  std::vector<std::vector<std::size_t>> buckets_;
  std::vector<std::size_t> bucket_of_;  // parameter index -> bucket index
  std::vector<std::string> engine_names_;                           // per parameter
  std::map<std::string, std::size_t, std::less<>> index_by_name_;  // parameter name -> index
  std::unique_ptr<Step> step_;
};

// Copies root's parameter values to every rank (collective over the engine's ranks; names
// "broadcast/" + parameter name). Waits for all; the first error is rethrown.
void broadcast_parameters(Engine& engine, std::span<const optim::Parameter> parameters, int root);

// Makes every rank's optimizer continue exactly as root's: root's state dict (step count, learning
// rate, hyperparameters, every state slot and master weight) is broadcast and loaded on the other
// ranks. Every rank's optimizer must be of the same kind over the same parameters, else
// load_state_dict's Error(InvalidArgument) names the difference. Collective.
void broadcast_optimizer_state(Engine& engine, optim::Optimizer& optimizer, int root);

}  // namespace ronde::training

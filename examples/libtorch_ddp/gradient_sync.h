// Data-parallel gradients for a libtorch module through ronde's engine, the way PyTorch DDP does
// it: a hook on every parameter fires as soon as backward has produced that parameter's
// gradient, and starts its allreduce (average over ranks) right away, so communication overlaps
// the rest of the backward pass. finish() waits for the averaged gradients and puts them in each
// parameter's .grad(), ready for any torch::optim optimizer.
//
//   GradientSync sync(engine, model);   // registers the hooks
//   loss.backward();                    // hooks start allreduces as gradients appear
//   sync.finish();                      // .grad() now holds the average over ranks
//   optimizer.step();
//
// Contract: one backward per step (no gradient accumulation across backward calls), every
// parameter receives a gradient in every step on every rank (the engine matches them by name),
// float32 CPU parameters. finish() rethrows the engine's error (e.g. Error(Mismatch) naming the
// parameter when ranks disagree on its shape).
#pragma once

#include <torch/torch.h>

#include <mutex>
#include <string>
#include <vector>

#include "ronde/allreduce/engine.h"

class GradientSync {
 public:
  GradientSync(ronde::Engine& engine, torch::nn::Module& module);
  GradientSync(const GradientSync&) = delete;
  GradientSync& operator=(const GradientSync&) = delete;

  void finish();

 private:
  struct Entry {
    std::string name;        // the engine's name: "grad/<parameter name>"
    torch::Tensor parameter;
    torch::Tensor averaged;  // a contiguous buffer the allreduce works in, in place
    ronde::Handle handle;
    bool launched = false;
  };
  void launch(Entry& entry, const torch::Tensor& gradient);

  ronde::Engine& engine_;
  std::vector<Entry> entries_;
  std::mutex mutex_;  // hooks may run on autograd's worker threads
};

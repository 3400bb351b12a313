// Progress lines of rank 0, one per interval of steps:
//
//   step  150/400  loss 0.2113  train acc  94.1%    3907 samples/s  ETA 5s
//
// loss and train accuracy are over every rank's samples of the interval (summed through the
// engine), samples/s counts all ranks, and the ETA extrapolates this run's time per step.
#pragma once

#include <chrono>
#include <cstdint>

#include "mlp.h"
#include "ronde/allreduce/engine.h"

namespace digits {

class Progress {
 public:
  // Counts from `first_step` (0, or the step a resumed run starts at) to `total_steps`.
  Progress(ronde::Engine& engine, std::int64_t first_step, std::int64_t total_steps, std::int64_t log_every);

  // Adds this rank's statistics of one step.
  void add(const Mlp::BatchStats& stats);
  // Call after step `completed` (1-based count of steps done). Every log_every steps and after the
  // last one it sums the interval over the ranks and rank 0 prints a line. Collective.
  void after_step(std::int64_t completed);

 private:
  using Clock = std::chrono::steady_clock;
  ronde::Engine& engine_;
  std::int64_t first_step_, total_steps_, log_every_;
  double interval_[3] = {0, 0, 0};  // loss sum, correct, samples (double: one allreduce)
  Clock::time_point run_start_ = Clock::now(), interval_start_ = Clock::now();
};

}  // namespace digits

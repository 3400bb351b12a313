// Learning-rate schedules: pure functions of the step, so a restored optimizer (whose state dict
// holds the step count) resumes its schedule exactly.
//
// `step` is the number of optimizer steps already taken: the rate for the first update is
// lr(0). This matches calling a torch.optim.lr_scheduler's step() once after every
// optimizer.step(), and the formulas are the ones PyTorch documents for the matching scheduler.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace ronde::optim {

class LrSchedule {
 public:
  virtual ~LrSchedule() = default;
  virtual double lr(std::int64_t step) const = 0;
};

// Every constructor validates its arguments (finite, non-negative rates; positive periods;
// increasing milestones) and throws Error(InvalidArgument) naming the argument.

// base
std::unique_ptr<LrSchedule> constant_lr(double base);
// base * gamma^floor(step / step_size)                                   (torch StepLR)
std::unique_ptr<LrSchedule> step_lr(double base, std::int64_t step_size, double gamma);
// base * gamma^(number of milestones <= step)                            (torch MultiStepLR)
std::unique_ptr<LrSchedule> multi_step_lr(double base, std::vector<std::int64_t> milestones, double gamma);
// base * gamma^step                                                      (torch ExponentialLR)
std::unique_ptr<LrSchedule> exponential_lr(double base, double gamma);
// Linear warmup from base * start_factor to base over warmup_steps, then base  (torch LinearLR)
std::unique_ptr<LrSchedule> linear_warmup_lr(double base, std::int64_t warmup_steps, double start_factor);
// Linear warmup from 0 (exclusive: the first step gets base / warmup_steps) over warmup_steps, then
// min_lr + (base - min_lr) * (1 + cos(pi * t / T)) / 2 with t = step - warmup_steps and
// T = total_steps - warmup_steps; min_lr after total_steps.       (torch CosineAnnealingLR + warmup)
std::unique_ptr<LrSchedule> cosine_lr(double base, std::int64_t total_steps, double min_lr = 0.0,
                                      std::int64_t warmup_steps = 0);
// torch OneCycleLR with cosine annealing, three_phase=False: from max_lr / div_factor up to max_lr
// over pct_start of total_steps, then down to max_lr / (div_factor * final_div_factor).
std::unique_ptr<LrSchedule> one_cycle_lr(double max_lr, std::int64_t total_steps, double pct_start = 0.3,
                                         double div_factor = 25.0, double final_div_factor = 1e4);

}  // namespace ronde::optim

// Learning-rate schedules as closed forms of the step (see schedule.h). Each formula follows the
// closed form PyTorch documents for the matching torch.optim.lr_scheduler class, with the same
// order of floating-point operations, so a schedule gives torch's numbers to the last bit or so.
#include "ronde/optim/schedule.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numbers>
#include <string>
#include <string_view>
#include <utility>

#include "ronde/core/error.h"

namespace ronde::optim {

namespace {

// The shortest text that reads back as `value` ("0.1", "1e-06", "inf", "nan").
std::string show(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

[[noreturn]] void reject(std::string_view schedule, const std::string& problem) {
  throw Error(ErrorCode::InvalidArgument, std::string(schedule) + ": " + problem);
}

// A learning rate (or a bound on one): finite and >= 0.
void require_rate(std::string_view schedule, std::string_view name, double value) {
  if (!std::isfinite(value) || value < 0) {
    reject(schedule, std::string(name) + "=" + show(value) + " must be finite and non-negative");
  }
}

// A multiplicative factor or divisor: finite and > 0.
void require_positive_factor(std::string_view schedule, std::string_view name, double value) {
  if (!std::isfinite(value) || value <= 0) {
    reject(schedule, std::string(name) + "=" + show(value) + " must be finite and positive");
  }
}

// A period, in steps: > 0.
void require_positive_steps(std::string_view schedule, std::string_view name, std::int64_t value) {
  if (value <= 0) reject(schedule, std::string(name) + "=" + std::to_string(value) + " must be positive");
}

void require_non_negative_steps(std::string_view schedule, std::string_view name, std::int64_t value) {
  if (value < 0) reject(schedule, std::string(name) + "=" + std::to_string(value) + " must be non-negative");
}

// Every schedule: rejects a negative step, then evaluates its formula.
class Schedule : public LrSchedule {
 public:
  // `name` is a string literal (the factory's name), used in error messages.
  explicit Schedule(std::string_view name) : name_(name) {}

  double lr(std::int64_t step) const final {
    require_non_negative_steps(name_, "step", step);
    return at(step);
  }

 protected:
  // The rate for a step >= 0.
  virtual double at(std::int64_t step) const = 0;

 private:
  std::string_view name_;
};

class ConstantLr final : public Schedule {
 public:
  explicit ConstantLr(double base) : Schedule("constant_lr"), base_(base) { require_rate("constant_lr", "base", base); }

 protected:
  double at(std::int64_t) const override { return base_; }

 private:
  double base_;
};

// torch StepLR: base * gamma^floor(step / step_size).
class StepLr final : public Schedule {
 public:
  StepLr(double base, std::int64_t step_size, double gamma)
      : Schedule("step_lr"), base_(base), step_size_(step_size), gamma_(gamma) {
    require_rate("step_lr", "base", base);
    require_positive_steps("step_lr", "step_size", step_size);
    require_positive_factor("step_lr", "gamma", gamma);
  }

 protected:
  double at(std::int64_t step) const override {
    return base_ * std::pow(gamma_, static_cast<double>(step / step_size_));
  }

 private:
  double base_;
  std::int64_t step_size_;
  double gamma_;
};

// torch MultiStepLR: base * gamma^(number of milestones <= step).
class MultiStepLr final : public Schedule {
 public:
  MultiStepLr(double base, std::vector<std::int64_t> milestones, double gamma)
      : Schedule("multi_step_lr"), base_(base), milestones_(std::move(milestones)), gamma_(gamma) {
    require_rate("multi_step_lr", "base", base);
    require_positive_factor("multi_step_lr", "gamma", gamma);
    check_milestones();
  }

 protected:
  double at(std::int64_t step) const override {
    const auto passed = std::upper_bound(milestones_.begin(), milestones_.end(), step) - milestones_.begin();
    return base_ * std::pow(gamma_, static_cast<double>(passed));
  }

 private:
  // Milestones are non-negative and strictly increasing.
  void check_milestones() const {
    for (std::size_t i = 0; i < milestones_.size(); ++i) {
      const std::string name = "milestones[" + std::to_string(i) + "]";
      require_non_negative_steps("multi_step_lr", name, milestones_[i]);
      if (i > 0 && milestones_[i] <= milestones_[i - 1]) {
        reject("multi_step_lr", name + "=" + std::to_string(milestones_[i]) + " must be greater than milestones[" +
                                    std::to_string(i - 1) + "]=" + std::to_string(milestones_[i - 1]) +
                                    " (milestones must be strictly increasing)");
      }
    }
  }

  double base_;
  std::vector<std::int64_t> milestones_;
  double gamma_;
};

// torch ExponentialLR: base * gamma^step.
class ExponentialLr final : public Schedule {
 public:
  ExponentialLr(double base, double gamma) : Schedule("exponential_lr"), base_(base), gamma_(gamma) {
    require_rate("exponential_lr", "base", base);
    require_positive_factor("exponential_lr", "gamma", gamma);
  }

 protected:
  double at(std::int64_t step) const override { return base_ * std::pow(gamma_, static_cast<double>(step)); }

 private:
  double base_;
  double gamma_;
};

// torch LinearLR with end_factor = 1 and total_iters = warmup_steps:
// base * (start_factor + (1 - start_factor) * min(step, warmup_steps) / warmup_steps).
// warmup_steps = 0 means no warmup (base from the first step).
class LinearWarmupLr final : public Schedule {
 public:
  LinearWarmupLr(double base, std::int64_t warmup_steps, double start_factor)
      : Schedule("linear_warmup_lr"), base_(base), warmup_steps_(warmup_steps), start_factor_(start_factor) {
    require_rate("linear_warmup_lr", "base", base);
    require_non_negative_steps("linear_warmup_lr", "warmup_steps", warmup_steps);
    // torch LinearLR's own bounds: 0 < start_factor <= 1.
    if (!(start_factor > 0 && start_factor <= 1)) {
      reject("linear_warmup_lr", "start_factor=" + show(start_factor) + " must be in (0, 1]");
    }
  }

 protected:
  double at(std::int64_t step) const override {
    if (step >= warmup_steps_) return base_;
    const double progress = static_cast<double>(step) / static_cast<double>(warmup_steps_);
    return base_ * (start_factor_ + (1.0 - start_factor_) * progress);
  }

 private:
  double base_;
  std::int64_t warmup_steps_;
  double start_factor_;
};

// Linear warmup base * (step + 1) / warmup_steps, then torch CosineAnnealingLR's closed form
// min_lr + (base - min_lr) * (1 + cos(pi * t / T)) / 2 over the remaining T steps, then min_lr.
class CosineLr final : public Schedule {
 public:
  CosineLr(double base, std::int64_t total_steps, double min_lr, std::int64_t warmup_steps)
      : Schedule("cosine_lr"), base_(base), min_lr_(min_lr), total_steps_(total_steps), warmup_steps_(warmup_steps) {
    require_rate("cosine_lr", "base", base);
    require_rate("cosine_lr", "min_lr", min_lr);
    require_positive_steps("cosine_lr", "total_steps", total_steps);
    require_non_negative_steps("cosine_lr", "warmup_steps", warmup_steps);
    if (warmup_steps >= total_steps) {
      reject("cosine_lr", "warmup_steps=" + std::to_string(warmup_steps) + " must be less than total_steps=" +
                              std::to_string(total_steps) + " (the cosine phase needs at least one step)");
    }
  }

 protected:
  double at(std::int64_t step) const override {
    // Fraction first, so the last warmup step gives base exactly.
    if (step < warmup_steps_) return base_ * (static_cast<double>(step + 1) / static_cast<double>(warmup_steps_));
    if (step >= total_steps_) return min_lr_;
    const double t = static_cast<double>(step - warmup_steps_);
    const double period = static_cast<double>(total_steps_ - warmup_steps_);
    return min_lr_ + (base_ - min_lr_) * (1 + std::cos(std::numbers::pi * t / period)) / 2;
  }

 private:
  double base_;
  double min_lr_;
  std::int64_t total_steps_;
  std::int64_t warmup_steps_;
};

// torch OneCycleLR, anneal_strategy='cos', three_phase=False. Phase 1 anneals initial -> max_lr
// over steps [0, pct_start * total_steps - 1]; phase 2 anneals max_lr -> min over the steps up to
// total_steps - 1. Both phase ends are real numbers, as in torch; later steps stay at min.
class OneCycleLr final : public Schedule {
 public:
  OneCycleLr(double max_lr, std::int64_t total_steps, double pct_start, double div_factor, double final_div_factor)
      : Schedule("one_cycle_lr"), max_lr_(max_lr), last_step_(total_steps - 1) {
    require_rate("one_cycle_lr", "max_lr", max_lr);
    require_positive_steps("one_cycle_lr", "total_steps", total_steps);
    if (!(pct_start >= 0 && pct_start <= 1)) {
      reject("one_cycle_lr", "pct_start=" + show(pct_start) + " must be in [0, 1]");
    }
    require_positive_factor("one_cycle_lr", "div_factor", div_factor);
    require_positive_factor("one_cycle_lr", "final_div_factor", final_div_factor);
    initial_lr_ = max_lr / div_factor;
    min_lr_ = initial_lr_ / final_div_factor;
    warmup_end_ = pct_start * static_cast<double>(total_steps) - 1;
    // Phase 1 would span [0, 0]: torch divides by zero there.
    if (warmup_end_ == 0) {
      reject("one_cycle_lr", "pct_start=" + show(pct_start) + " with total_steps=" + std::to_string(total_steps) +
                                 " gives a warm-up phase of zero length (pct_start * total_steps must not be 1)");
    }
  }

 protected:
  double at(std::int64_t step) const override {
    const double s = static_cast<double>(std::min(step, last_step_));
    if (s <= warmup_end_) return anneal_cos(initial_lr_, max_lr_, s / warmup_end_);
    return anneal_cos(max_lr_, min_lr_, (s - warmup_end_) / (static_cast<double>(last_step_) - warmup_end_));
  }

 private:
  // From `start` (pct = 0) to `end` (pct = 1) along half a cosine.
  static double anneal_cos(double start, double end, double pct) {
    const double cos_out = std::cos(std::numbers::pi * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
  }

  double max_lr_;
  std::int64_t last_step_;
  double initial_lr_ = 0;
  double min_lr_ = 0;
  double warmup_end_ = 0;
};

}  // namespace

std::unique_ptr<LrSchedule> constant_lr(double base) { return std::make_unique<ConstantLr>(base); }

std::unique_ptr<LrSchedule> step_lr(double base, std::int64_t step_size, double gamma) {
  return std::make_unique<StepLr>(base, step_size, gamma);
}

std::unique_ptr<LrSchedule> multi_step_lr(double base, std::vector<std::int64_t> milestones, double gamma) {
  return std::make_unique<MultiStepLr>(base, std::move(milestones), gamma);
}

std::unique_ptr<LrSchedule> exponential_lr(double base, double gamma) {
  return std::make_unique<ExponentialLr>(base, gamma);
}

std::unique_ptr<LrSchedule> linear_warmup_lr(double base, std::int64_t warmup_steps, double start_factor) {
  return std::make_unique<LinearWarmupLr>(base, warmup_steps, start_factor);
}

std::unique_ptr<LrSchedule> cosine_lr(double base, std::int64_t total_steps, double min_lr, std::int64_t warmup_steps) {
  return std::make_unique<CosineLr>(base, total_steps, min_lr, warmup_steps);
}

std::unique_ptr<LrSchedule> one_cycle_lr(double max_lr, std::int64_t total_steps, double pct_start, double div_factor,
                                         double final_div_factor) {
  return std::make_unique<OneCycleLr>(max_lr, total_steps, pct_start, div_factor, final_div_factor);
}

}  // namespace ronde::optim

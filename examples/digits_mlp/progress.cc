#include "progress.h"

#include <cstdio>

namespace digits {

Progress::Progress(ronde::Engine& engine, std::int64_t first_step, std::int64_t total_steps, std::int64_t log_every)
    : engine_(engine), first_step_(first_step), total_steps_(total_steps), log_every_(log_every) {}

void Progress::add(const Mlp::BatchStats& stats) {
  interval_[0] += stats.loss_sum;
  interval_[1] += static_cast<double>(stats.correct);
  interval_[2] += static_cast<double>(stats.rows);
}

void Progress::after_step(std::int64_t completed) {
  if (completed % log_every_ != 0 && completed != total_steps_) return;
  engine_.allreduce("digits/progress", ronde::Tensor(interval_, ronde::DType::F64, {3}), ronde::ReduceOp::Sum);
  const auto now = Clock::now();
  if (engine_.context().rank() == 0 && interval_[2] > 0) {
    const double interval_seconds = std::chrono::duration<double>(now - interval_start_).count();
    const double seconds_per_step =
        std::chrono::duration<double>(now - run_start_).count() / static_cast<double>(completed - first_step_);
    std::printf("step %5lld/%lld  loss %.4f  train acc %5.1f%%  %7.0f samples/s  ETA %.0fs\n",
                static_cast<long long>(completed), static_cast<long long>(total_steps_), interval_[0] / interval_[2],
                100.0 * interval_[1] / interval_[2], interval_[2] / interval_seconds,
                seconds_per_step * static_cast<double>(total_steps_ - completed));
    std::fflush(stdout);
  }
  interval_[0] = interval_[1] = interval_[2] = 0;
  interval_start_ = now;
}

}  // namespace digits

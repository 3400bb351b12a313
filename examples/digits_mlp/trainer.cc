#include "trainer.h"

#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "digits_data.h"
#include "failure.h"
#include "mlp.h"
#include "model_file.h"
#include "progress.h"
#include "ronde/allreduce/engine.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/error.h"
#include "ronde/optim/optimizer.h"
#include "ronde/optim/schedule.h"
#include "ronde/training/checkpoint_state.h"
#include "ronde/training/distributed_optimizer.h"
#include "stop_vote.h"

namespace digits {

namespace {

namespace ckpt = ronde::checkpoint;

constexpr const char* kOptimizerRecord = "adamw";  // its tensors are "adamw/fc1.w/exp_avg", ...
constexpr int kExitStoppedAfterStep = 3;

// Metadata of every checkpoint: the flags that shape the run (so that a resume with other ones is
// refused) and the data position reached.
void record_run(ckpt::CheckpointState& state, const Options& options) {
  for (const auto& [name, value] : trajectory(options)) state.metadata["flag." + name] = value;
}

void record_position(ckpt::CheckpointState& state, const Options& options, std::int64_t step) {
  state.metadata["data.step"] = std::to_string(step);
  state.metadata["data.position"] = std::to_string(step * options.batch);  // samples visited
}

// After a restore: the checkpoint must come from a run with the same trajectory flags.
void check_same_run(const ckpt::CheckpointState& state, const Options& options, std::int64_t step) {
  std::string differences;
  for (const auto& [name, value] : trajectory(options)) {
    const auto saved = state.metadata.find("flag." + name);
    const std::string was = saved == state.metadata.end() ? "(none)" : saved->second;
    if (was != value) differences += " --" + name + " " + was + " (now " + value + ")";
  }
  if (!differences.empty()) {
    throw ronde::Error(ronde::ErrorCode::InvalidArgument,
                       "the checkpoint at step " + std::to_string(step) + " in '" + options.checkpoint +
                           "' belongs to another run, with" + differences +
                           "; resume with the same flags or start a new run with another --checkpoint");
  }
  const auto position = state.metadata.find("data.position");
  if (position == state.metadata.end() || position->second != std::to_string(step * options.batch)) {
    throw ronde::Error(ronde::ErrorCode::Corrupt, "the checkpoint at step " + std::to_string(step) + " in '" +
                                                      options.checkpoint + "' records no or another data.position");
  }
}

// Everything one rank holds for the run. The constructor sets up and restores; run() loops.
class TrainingJob {
 public:
  TrainingJob(ronde::Context& context, const Options& options)
      : context_(context),
        options_(options),
        data_(split_every_fifth(load_digits(options.data))),
        order_(data_.train.rows(), options.seed),
        model_(static_cast<int>(options.hidden), options.seed),
        parameters_(model_.parameters()),
        engine_(context) {
    if (options.batch < context.size()) {
      throw ronde::Error(ronde::ErrorCode::InvalidArgument,
                         "--batch " + std::to_string(options.batch) + " is smaller than the number of ranks (" +
                             std::to_string(context.size()) + "): every rank needs a sample per step");
    }
    // Every rank starts from rank 0's weights (they are seeded alike anyway; this is the API a
    // program with unseeded initialisation needs).
    ronde::training::broadcast_parameters(engine_, parameters_, /*root=*/0);
    optimizer_ = ronde::optim::make_adamw(parameters_, {.lr = options.lr, .weight_decay = options.weight_decay});
    schedule_ = ronde::optim::cosine_lr(options.lr, options.steps, options.min_lr, options.warmup);
    distributed_.emplace(engine_, *optimizer_);

    for (const auto& parameter : parameters_) state_.add_replicated(parameter.name, parameter.value);
    ronde::training::add_optimizer_state(state_, *optimizer_, kOptimizerRecord);
    record_run(state_, options);
    record_position(state_, options, 0);

    ckpt::CheckpointerOptions checkpoint_options = ckpt::CheckpointerOptions::from_env();
    checkpoint_options.every_steps = options.checkpoint_every;
    checkpoint_options.keep_last = static_cast<int>(options.keep_last);
    checkpointer_.emplace(context, options.checkpoint, checkpoint_options);
    announce();
    restore();
  }

  // The steps, then the final checkpoint, test accuracy and model file. Returns the exit status.
  int run() {
    StopVote vote(engine_);
    Progress progress(engine_, first_step_, options_.steps, options_.log_every);
    for (std::int64_t step = first_step_; step < options_.steps; ++step) {
      vote.start(checkpointer_->interrupted());
      progress.add(train_step(step));
      const std::int64_t completed = step + 1;
      progress.after_step(completed);
      if (completed == options_.stop_after_step) {
        if (rank() == 0)
          std::printf("--stop-after-step %lld: exiting without a final checkpoint\n",
                      static_cast<long long>(completed));
        exit_now(kExitStoppedAfterStep);
      }
      if (checkpoint_due(completed)) save_state_for(completed);
      checkpointer_->maybe_save(completed, state_);
      if (vote.any_interrupted()) return stop_after_interruption(completed);
    }
    finish();
    return 0;
  }

 private:
  int rank() const { return context_.rank(); }

  bool checkpoint_due(std::int64_t completed) const {
    return options_.checkpoint_every > 0 && completed % options_.checkpoint_every == 0;
  }

  // Brings the optimizer's copy in the state and the data position up to date before a save.
  void save_state_for(std::int64_t completed) {
    ronde::training::sync_optimizer_state(state_, *optimizer_, kOptimizerRecord);
    record_position(state_, options_, completed);
  }

  void restore() {
    const std::optional<std::int64_t> step = checkpointer_->restore_latest(state_);
    if (!step) return;
    check_same_run(state_, options_, *step);
    ronde::training::restore_optimizer_state(state_, *optimizer_, kOptimizerRecord);
    first_step_ = *step;
    if (rank() == 0)
      std::printf("resumed from step %lld (checkpoint %s)\n", static_cast<long long>(*step),
                  options_.checkpoint.c_str());
  }

  void announce() const {
    if (rank() != 0) return;
    std::printf(
        "digits_mlp: %d rank%s, %zu training and %zu test images, %lld steps of %lld samples, hidden %lld, "
        "checkpoints every %lld steps in %s\n",
        context_.size(), context_.size() == 1 ? "" : "s", data_.train.rows(), data_.test.rows(),
        static_cast<long long>(options_.steps), static_cast<long long>(options_.batch),
        static_cast<long long>(options_.hidden), static_cast<long long>(options_.checkpoint_every),
        options_.checkpoint.c_str());
    std::fflush(stdout);
  }

  // One optimizer step on this rank's share of the step's global batch.
  Mlp::BatchStats train_step(std::int64_t step) {
    const std::vector<std::size_t> rows =
        order_.rows_for_step(step, static_cast<int>(options_.batch), rank(), context_.size());
    // Each rank's gradient is its rows' sum times size/batch: the engine's average over ranks is
    // then the mean over the whole global batch, even when the shares differ by one.
    const float scale = static_cast<float>(context_.size()) / static_cast<float>(options_.batch);
    optimizer_->set_lr(schedule_->lr(optimizer_->step_count()));
    const Mlp::BatchStats stats =
        model_.train_batch(data_.train, rows, scale, [&](std::string_view name) { distributed_->mark_ready(name); });
    distributed_->step();  // waits for the averaged gradients, then AdamW
    return stats;
  }

  int stop_after_interruption(std::int64_t completed) {
    save_state_for(completed);
    try {
      checkpointer_->save_now(completed, state_);
    } catch (const std::exception& error) {
      report_failure(&context_, std::string("interrupted at step ") + std::to_string(completed) +
                                    " and the final checkpoint failed: " + error.what());
      return ckpt::kExitCheckpointFailed;
    }
    if (rank() == 0) {
      std::printf("interrupted: stopped at step %lld/%lld after a final checkpoint; run the same command to resume\n",
                  static_cast<long long>(completed), static_cast<long long>(options_.steps));
    }
    return ckpt::kExitCheckpointedAfterInterruption;
  }

  void finish() {
    checkpointer_->wait();
    const auto last = checkpointer_->last_committed();
    if (first_step_ < options_.steps && (!last || last->step != options_.steps)) {
      save_state_for(options_.steps);
      checkpointer_->save(options_.steps, state_);
    }
    if (rank() != 0) return;
    const double test_accuracy = accuracy(model_, data_.test);
    std::printf("finished %lld steps: test accuracy %.2f%% on %zu held-out images\n",
                static_cast<long long>(options_.steps), 100.0 * test_accuracy, data_.test.rows());
    if (!options_.model_out.empty()) {
      write_model_file(options_.model_out, static_cast<int>(options_.hidden), parameters_);
      std::printf("model written to %s\n", options_.model_out.c_str());
    }
    std::fflush(stdout);
  }

  ronde::Context& context_;
  const Options options_;
  const TrainTestSplit data_;
  SampleOrder order_;
  Mlp model_;
  std::vector<ronde::optim::Parameter> parameters_;
  ronde::Engine engine_;
  std::unique_ptr<ronde::optim::Optimizer> optimizer_;
  std::unique_ptr<ronde::optim::LrSchedule> schedule_;
  std::optional<ronde::training::DistributedOptimizer> distributed_;
  ckpt::CheckpointState state_;
  std::optional<ckpt::Checkpointer> checkpointer_;
  std::int64_t first_step_ = 0;
};

}  // namespace

int train(ronde::Context& context, const Options& options) {
  TrainingJob job(context, options);
  try {
    return job.run();
  } catch (const std::exception& error) {
    // Not unwinding `job`: see exit_now.
    report_failure(&context, error.what());
    exit_now(1);
  }
}

}  // namespace digits

// libtorch_ddp: a libtorch model trained data-parallel with ronde under mpirun.
//
//   mpirun -np 4 build/examples/libtorch_ddp/libtorch_ddp [--steps 300] [--checkpoint URI]
//
// libtorch does the model, the loss, backward and the optimizer (torch::optim::SGD with momentum);
// ronde averages the gradients over ranks (GradientSync: a hook per parameter starts its allreduce
// on ronde's engine as soon as backward produces it) and checkpoints the model and the optimizer's
// momentum (ronde's Checkpointer: asynchronous saves, resume from the latest complete checkpoint,
// a final save on SIGTERM). The data is the handwritten digits set of examples/digits_mlp.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "digits_data.h"
#include "gradient_sync.h"
#include "ronde/allreduce/engine.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"
#include "ronde/training/distributed_optimizer.h"
#include "torch_state.h"

namespace {

struct Flags {
  std::string data = digits::kDefaultDataPath;
  std::int64_t steps = 300;
  int global_batch = 64;
  double lr = 0.05;
  double momentum = 0.9;
  std::string checkpoint = "file://" + (std::filesystem::current_path() / "runs" / "libtorch_ddp").string();
  std::int64_t checkpoint_every = 50;
  std::int64_t log_every = 50;
  std::uint64_t seed = 1;
  int threads = 1;
};

constexpr const char* kUsage = R"(usage: mpirun -np N libtorch_ddp [flags]

A libtorch MLP (64-128-10) trained on the handwritten digits with ronde's allreduce and checkpoints.
  --data PATH             digits.csv.gz (default: python3-sklearn's copy)
  --steps N               training steps (default 300)
  --batch N               global batch size, split over the ranks (default 64)
  --lr X                  SGD learning rate (default 0.05)
  --momentum X            SGD momentum (default 0.9)
  --checkpoint URI        file:// or s3:// prefix for checkpoints (default file://$PWD/runs/libtorch_ddp)
  --checkpoint-every N    save every N steps (default 50; 0: only on SIGTERM)
  --log-every N           progress line every N steps on rank 0 (default 50)
  --seed N                model initialisation and data order (default 1)
  --threads N             libtorch's threads per rank (default 1: one rank per core)
  --help                  this text
On SIGTERM every rank saves at the same step and exits 0; a restart resumes from there.
)";

Flags parse_flags(int argc, char** argv) {
  Flags flags;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (i + 1 >= argc) throw ronde::Error(ronde::ErrorCode::InvalidArgument, flag + " needs a value (try --help)");
    const std::string value = argv[++i];
    if (flag == "--data") flags.data = value;
    else if (flag == "--steps") flags.steps = std::stoll(value);
    else if (flag == "--batch") flags.global_batch = std::stoi(value);
    else if (flag == "--lr") flags.lr = std::stod(value);
    else if (flag == "--momentum") flags.momentum = std::stod(value);
    else if (flag == "--checkpoint") flags.checkpoint = value;
    else if (flag == "--checkpoint-every") flags.checkpoint_every = std::stoll(value);
    else if (flag == "--log-every") flags.log_every = std::stoll(value);
    else if (flag == "--seed") flags.seed = std::stoull(value);
    else if (flag == "--threads") flags.threads = std::stoi(value);
    else throw ronde::Error(ronde::ErrorCode::InvalidArgument, "unknown flag " + flag + " (try --help)");
  }
  return flags;
}

// Images and labels of `rows` as torch tensors (copies).
std::pair<torch::Tensor, torch::Tensor> batch_of(const digits::Dataset& data, const std::vector<std::size_t>& rows) {
  auto images = torch::empty({static_cast<std::int64_t>(rows.size()), digits::kPixels});
  auto labels = torch::empty({static_cast<std::int64_t>(rows.size())}, torch::kInt64);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::copy_n(data.image(rows[i]), digits::kPixels, images[i].data_ptr<float>());
    labels[i] = data.labels[rows[i]];
  }
  return {images, labels};
}

double accuracy(torch::nn::Sequential& model, const digits::Dataset& data) {
  torch::NoGradGuard no_grad;
  std::vector<std::size_t> all(data.rows());
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
  auto [images, labels] = batch_of(data, all);
  auto predicted = model->forward(images).argmax(1);
  return predicted.eq(labels).sum().item<double>() / static_cast<double>(data.rows());
}

// True on every rank when any rank was asked to stop (SIGTERM, spot notice): the ranks must
// make their final save at the same step.
bool any_rank_interrupted(ronde::Engine& engine, ronde::checkpoint::Checkpointer& checkpointer) {
  std::int32_t flag = checkpointer.interrupted() ? 1 : 0;
  engine.allreduce_async("control/interrupted", ronde::Tensor(&flag, ronde::DType::I32, {1}), ronde::ReduceOp::Max).wait();
  return flag != 0;
}

int train(const Flags& flags) {
  ronde::Context ctx = ronde::init();
  ronde::Engine engine(ctx);
  const bool root = ctx.rank() == 0;
  if (flags.global_batch % ctx.size() != 0) {
    throw ronde::Error(ronde::ErrorCode::InvalidArgument, "--batch " + std::to_string(flags.global_batch) +
                                                              " is not divisible by the " + std::to_string(ctx.size()) + " ranks");
  }

  const auto split = digits::split_every_fifth(digits::load_digits(flags.data));
  torch::set_num_threads(flags.threads);
  torch::manual_seed(flags.seed);  // the same initial model on every rank
  torch::nn::Sequential model(torch::nn::Linear(digits::kPixels, 128), torch::nn::ReLU(),
                              torch::nn::Linear(128, digits::kClasses));
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(flags.lr).momentum(flags.momentum));
  create_momentum_buffers(optimizer);
  GradientSync sync(engine, *model);

  ronde::checkpoint::CheckpointState state;
  add_torch_state(state, *model, optimizer);
  ronde::checkpoint::Checkpointer checkpointer(ctx, flags.checkpoint, {.every_steps = flags.checkpoint_every, .keep_last = 2});
  const std::int64_t start = checkpointer.restore_latest(state).value_or(0);
  if (root && start > 0) std::cout << "resumed from step " << start << " (" << flags.checkpoint << ")\n";

  digits::SampleOrder order(split.train.rows(), flags.seed);
  const auto began = std::chrono::steady_clock::now();
  for (std::int64_t step = start; step < flags.steps; ++step) {
    auto [images, labels] = batch_of(split.train, order.rows_for_step(step, flags.global_batch, ctx.rank(), ctx.size()));
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(images), labels);
    loss.backward();
    sync.finish();
    optimizer.step();

    const std::int64_t completed = step + 1;  // checkpoints record the steps completed
    checkpointer.maybe_save(completed, state);
    if (root && flags.log_every > 0 && completed % flags.log_every == 0) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
      std::printf("step %lld/%lld  loss %.4f  %.0f samples/s\n", static_cast<long long>(completed),
                  static_cast<long long>(flags.steps), loss.item<double>(),
                  static_cast<double>((completed - start) * flags.global_batch) / seconds);
      std::fflush(stdout);
    }
    if (any_rank_interrupted(engine, checkpointer)) {
      checkpointer.save_now(completed, state);
      if (root) std::cout << "interrupted: saved step " << completed << "; a restart resumes from it\n";
      return ronde::checkpoint::kExitCheckpointedAfterInterruption;
    }
  }
  checkpointer.wait();
  if (root) std::printf("test accuracy %.4f after %lld steps\n", accuracy(model, split.test), static_cast<long long>(flags.steps));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return train(parse_flags(argc, argv));
  } catch (const std::exception& error) {
    std::cerr << "libtorch_ddp: " << error.what() << "\n";
    return 1;
  }
}

// digits_mlp: data-parallel training of a small perceptron on real handwritten digits, with
// checkpoints that survive interruptions.
//
//   mpirun -np 4 build/examples/digits_mlp/digits_mlp [--steps N] [--checkpoint URI] ...
//   digits_mlp --help
//
// The pieces, one file each: options (flags, SageMaker hyperparameters), digits_data (the data set,
// the train/test split and the sample order), mlp (the model's forward and backward), trainer (the
// training loop over ronde's engine, DistributedOptimizer and Checkpointer), stop_vote (agreeing on
// the step to stop at after SIGTERM), progress (the progress lines), model_file (--model-out),
// failure (reporting errors).
#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "failure.h"
#include "options.h"
#include "ronde/core/context.h"
#include "trainer.h"

int main(int argc, char** argv) {
  std::optional<ronde::Context> context;
  try {
    context.emplace(ronde::init());
  } catch (const std::exception& error) {
    digits::report_failure(nullptr, std::string("cannot start: ") + error.what());
    return 1;
  }
  const ronde::SageMakerConfig* sagemaker = context->sagemaker() ? &*context->sagemaker() : nullptr;

  digits::CommandLine command_line;
  try {
    command_line = digits::parse_command_line(argc, argv, sagemaker);
  } catch (const digits::UsageError& error) {
    // Every rank parses the same arguments: rank 0's report is enough (and, in a SageMaker
    // container, its failure file).
    if (context->rank() == 0) {
      digits::report_failure(&*context, error.what());
      std::fputs("run digits_mlp --help for the flags\n", stderr);
    }
    return 2;
  } catch (const std::exception& error) {  // e.g. a SageMaker container without the "train" channel
    digits::report_failure(&*context, error.what());
    return 1;
  }
  if (command_line.help) {
    if (context->rank() == 0) std::fputs(digits::usage().c_str(), stdout);
    return 0;
  }

  try {
    return digits::train(*context, command_line.options);
  } catch (const std::exception& error) {
    digits::report_failure(&*context, error.what());
    return 1;
  }
}

// digits_mlp's settings: command-line flags and, in a SageMaker container, hyperparameters.json.
//
// One table (options.cc) lists every flag with its help text and default, so --help, parsing and
// the hyperparameters cannot drift apart. In a SageMaker container (ronde::Context::sagemaker()),
// each hyperparameter sets the flag of the same name ("checkpoint_every" or "checkpoint-every"),
// unless the command line gives that flag too; the data, checkpoint and model locations default
// to the container's (channel "train", /opt/ml/checkpoints, /opt/ml/model).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "ronde/core/sagemaker.h"

namespace digits {

struct Options {
  std::int64_t steps = 2000;            // optimizer steps in the whole run
  std::int64_t batch = 64;              // global batch: samples per step over all ranks
  std::int64_t hidden = 128;            // hidden units
  double lr = 5e-3;                     // peak learning rate (AdamW)
  double min_lr = 5e-5;                 // the cosine schedule's final rate
  std::int64_t warmup = 20;             // linear warmup steps
  double weight_decay = 1e-4;           // AdamW's decoupled weight decay
  std::uint64_t seed = 1;               // initial weights and the sample order
  std::string data;                     // the digits CSV (.gz)
  std::string checkpoint;               // storage URI or directory of the checkpoints
  std::int64_t checkpoint_every = 100;  // steps between periodic checkpoints; 0: none
  std::int64_t keep_last = 3;           // checkpoints kept; 0: all
  std::int64_t log_every = 100;         // steps between progress lines
  std::string model_out;                // where rank 0 writes the final parameters; empty: nowhere
  std::int64_t stop_after_step = 0;     // test aid: _exit without saving after this step; 0: off
};

// A bad flag or hyperparameter; main prints it with the usage hint and exits with status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The parsed command line: options, or a request for --help.
struct CommandLine {
  Options options;
  bool help = false;
};

// Parses argv (and `sagemaker`'s hyperparameters and locations when not null). Throws UsageError
// naming the flag or hyperparameter and what was expected.
CommandLine parse_command_line(int argc, char** argv, const ronde::SageMakerConfig* sagemaker);

// The --help text: every flag, its default, and the exit codes.
std::string usage();

// The flags that determine the training trajectory (steps, batch, hidden, lr, min-lr, warmup,
// weight-decay, seed) as name -> exact text. Checkpoints record them; resuming with other values
// would not continue the same run, so the trainer refuses it.
std::map<std::string, std::string> trajectory(const Options& options);

}  // namespace digits

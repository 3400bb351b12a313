// The training job of one rank: data, model, engine, optimizer and checkpointer, and the loop.
//
// Per step: every rank takes its share of the step's global batch (digits_data.h), runs forward
// and backward, marking each gradient ready as backward produces it (last layer first), so that
// training::DistributedOptimizer averages the gradients through the engine while backward goes
// on; then AdamW steps at the cosine schedule's rate. Checkpoints (parameters, AdamW's state, the
// data position) are saved every --checkpoint-every steps in the background; the job resumes from
// the newest one, and after SIGTERM/SIGINT every rank stops at one agreed step with a final save.
#pragma once

#include "options.h"
#include "ronde/core/context.h"

namespace digits {

// Runs the job on this rank (collective: every rank calls it) and returns the exit status that
// --help documents. Errors while setting up are thrown (they are the same on every rank); an
// error during the steps ends the process at once through report_failure and exit_now.
int train(ronde::Context& context, const Options& options);

}  // namespace digits

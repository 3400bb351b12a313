// What digits_mlp does with a fatal error: say it, and leave at once.
#pragma once

#include <exception>
#include <string_view>

#include "ronde/core/context.h"

namespace digits {

// Prints "digits_mlp (rank R/N): error: <what>" to stderr and, in a SageMaker container, writes
// `what` to /opt/ml/output/failure (the job's FailureReason). `context` may be null (init failed).
void report_failure(const ronde::Context* context, std::string_view what);

// Flushes stdout and stderr and ends the process with `status` without unwinding the stack: the
// engine's and the checkpointer's destructors are collective, and the other ranks may be waiting
// inside a step for this one. mpirun then stops the rest of the job.
[[noreturn]] void exit_now(int status);

}  // namespace digits

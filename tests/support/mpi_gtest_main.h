// GoogleTest under mpirun: the test binaries of label "mpi" (and the cluster runs of them) link
// ronde_mpi_gtest_main, whose main() makes the binary's one ronde::Context, lets only rank 0 print
// GoogleTest's progress (every rank prints its failures) and fails every rank's exit code when any
// rank failed. Tests reach the context through mpi_test_context().
#pragma once

#include "ronde/core/context.h"

namespace ronde::testing {

// The context main() made for this process (valid while tests run).
Context& mpi_test_context();

}  // namespace ronde::testing

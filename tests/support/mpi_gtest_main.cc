#include "support/mpi_gtest_main.h"

#include <gtest/gtest.h>
#include <mpi.h>

#include <stdexcept>

namespace ronde::testing {

namespace {

// main()'s context, for the tests; main() owns it and clears this before it goes.
Context* running_context = nullptr;

}  // namespace

Context& mpi_test_context() {
  if (running_context == nullptr) throw std::logic_error("mpi_test_context() outside the tests main() runs");
  return *running_context;
}

}  // namespace ronde::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ronde::Context context = ronde::init();
  ronde::testing::running_context = &context;
  if (context.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  int failed = RUN_ALL_TESTS();
  // Any rank's failure fails every rank (mpirun reports the exit codes).
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  ronde::testing::running_context = nullptr;
  return failed;
}

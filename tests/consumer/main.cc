// Uses only ronde's installed headers: no MPI include path is needed to build this.
#include <cstdio>
#include <vector>

#include <ronde/allreduce/collectives.h>
#include <ronde/core/context.h>

int main() {
  ronde::Context context = ronde::init();
  ronde::Collectives collectives(context);
  std::vector<double> values(1000, context.rank() + 1.0);
  collectives.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum);
  const double expected = context.size() * (context.size() + 1) / 2.0;
  for (double v : values) {
    if (v != expected) {
      std::fprintf(stderr, "consumer: rank %d got %g, expected %g\n", context.rank(), v, expected);
      return 1;
    }
  }
  if (context.rank() == 0) std::printf("consumer: sum over %d ranks verified\n", context.size());
  return 0;
}

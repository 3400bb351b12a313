// Collectives on CUDA tensors, checked against the host collectives on the same data. Run by
// scripts/gpu-check.sh under mpirun: NCCL with one rank (one GPU allows one NCCL rank per
// device), and the staged path (RONDE_GPU_OPERATIONS=MPI) with several ranks sharing the GPU.
// Exits 77 (CTest "skipped") without a GPU.
#include <cuda_runtime_api.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <string>
#include <vector>

#include "cuda_test_support.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/cuda_info.h"
#include "ronde/core/error.h"

namespace {

using ronde::testing::DeviceArray;

ronde::testing::Expectations checks;

void expect(bool ok, const std::string& what) { checks.expect(ok, what); }

std::vector<float> values(int rank, std::size_t count, int seed) {
  std::vector<float> out(count);
  for (std::size_t i = 0; i < count; ++i) out[i] = static_cast<float>((i * 7 + static_cast<std::size_t>(rank) * 13 + seed) % 17) - 8;
  return out;
}

void check_all(ronde::Context& context, const std::string& label) {
  ronde::Collectives device(context), host(context);
  const int rank = context.rank(), size = context.size();
  for (std::size_t count : {std::size_t{1}, std::size_t{1000}, std::size_t{1} << 20}) {
    const std::string what = label + " count " + std::to_string(count);
    // allreduce, with scale factors
    auto input = values(rank, count, 1);
    DeviceArray<float> d_in(input);
    std::vector<float> expected(count);
    host.allreduce(ronde::Tensor::of(input), ronde::Tensor::of(expected), ronde::ReduceOp::Sum, {.prescale = 0.5, .postscale = 2});
    device.allreduce(d_in.tensor({static_cast<std::int64_t>(count)}), ronde::ReduceOp::Sum, {.prescale = 0.5, .postscale = 2});
    expect(d_in.host() == expected, what + ": allreduce");
    // broadcast from the last rank
    auto b = values(rank, count, 2);
    DeviceArray<float> d_b(b);
    host.broadcast(ronde::Tensor::of(b), size - 1);
    device.broadcast(d_b.tensor({static_cast<std::int64_t>(count)}), size - 1);
    expect(d_b.host() == b, what + ": broadcast");
  }
  // f16 average: exact for small integers
  std::vector<ronde::Half> half(4099);
  for (std::size_t i = 0; i < half.size(); ++i) half[i] = ronde::float_to_half(static_cast<float>((i + rank) % 5) * size);
  DeviceArray<ronde::Half> d_half(half);
  device.allreduce(d_half.tensor({4099}), ronde::ReduceOp::Average);
  const auto averaged = d_half.host();
  for (std::size_t i = 0; i < half.size(); ++i) {
    float want = 0;
    for (int r = 0; r < size; ++r) want += static_cast<float>((i + r) % 5);
    if (ronde::half_to_float(averaged[i]) != want) {
      expect(false, label + ": f16 average at " + std::to_string(i));
      break;
    }
  }
  // allgather with uneven rows, reducescatter uneven, alltoall
  const std::int64_t rows = rank + 1, columns = 4;
  auto mine = values(rank, static_cast<std::size_t>(rows * columns), 3);
  DeviceArray<float> d_mine(mine);
  std::vector<float> gathered_host;
  host.allgather(ronde::Tensor(mine.data(), ronde::DType::F32, {rows, columns}), [&](const std::vector<std::int64_t>& shape) {
    gathered_host.resize(static_cast<std::size_t>(shape[0] * shape[1]));
    return ronde::Tensor(gathered_host.data(), ronde::DType::F32, shape);
  });
  std::vector<float> zeros(gathered_host.size());
  DeviceArray<float> d_gathered(zeros);
  device.allgather(d_mine.tensor({rows, columns}), d_gathered.tensor({static_cast<std::int64_t>(gathered_host.size()) / columns, columns}));
  expect(d_gathered.host() == gathered_host, label + ": allgather");

  std::vector<std::int64_t> splits;
  for (int r = 0; r < size; ++r) splits.push_back(r % 2 + 1);
  const std::int64_t total = std::accumulate(splits.begin(), splits.end(), std::int64_t{0});
  auto full = values(rank, static_cast<std::size_t>(total * columns), 4);
  DeviceArray<float> d_full(full);
  const std::int64_t keep = splits[static_cast<std::size_t>(rank)];
  std::vector<float> part_host(static_cast<std::size_t>(keep * columns)), part_zero(part_host.size());
  DeviceArray<float> d_part(part_zero);
  host.reducescatter(ronde::Tensor(full.data(), ronde::DType::F32, {total, columns}),
                     ronde::Tensor(part_host.data(), ronde::DType::F32, {keep, columns}), ronde::ReduceOp::Max, splits);
  device.reducescatter(d_full.tensor({total, columns}), d_part.tensor({keep, columns}), ronde::ReduceOp::Max, splits);
  expect(d_part.host() == part_host, label + ": reducescatter");

  std::vector<float> exchanged_host;
  host.alltoall(ronde::Tensor(full.data(), ronde::DType::F32, {total, columns}), splits, [&](const std::vector<std::int64_t>& shape) {
    exchanged_host.resize(static_cast<std::size_t>(shape[0] * shape[1]));
    return ronde::Tensor(exchanged_host.data(), ronde::DType::F32, shape);
  });
  std::vector<float> exchanged_zero(exchanged_host.size());
  DeviceArray<float> d_exchanged(exchanged_zero);
  device.alltoall(d_full.tensor({total, columns}), splits, [&](const std::vector<std::int64_t>& shape) {
    return d_exchanged.tensor(shape);
  });
  expect(d_exchanged.host() == exchanged_host, label + ": alltoall");
}

}  // namespace

int main() {
  ronde::Context context = ronde::init();
  int skip = (!ronde::built_with_cuda() || ronde::cuda_device_count() == 0) ? 1 : 0;
  MPI_Allreduce(MPI_IN_PLACE, &skip, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (skip) {
    if (context.rank() == 0) std::printf("SKIP: no CUDA device (or ronde built without CUDA)\n");
    return 77;
  }
  const char* operations = std::getenv("RONDE_GPU_OPERATIONS");
  const std::string label = std::string(operations ? operations : "default") + ", " + std::to_string(context.size()) + " ranks";
  int& failures = checks.failures();
  try {
    check_all(context, label);
  } catch (const ronde::Error& error) {
    std::printf("FAIL: rank %d: %s\n", context.rank(), error.what());
    failures++;
  }
  MPI_Allreduce(MPI_IN_PLACE, &failures, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (context.rank() == 0) std::printf(failures ? "%d CUDA collective checks FAILED (%s)\n" : "CUDA collectives ok (%s)\n", failures, label.c_str());
  return failures ? 1 : 0;
}

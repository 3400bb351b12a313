// Uses only ronde's installed headers: no MPI, gRPC or curl include path is needed to build this.
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <ronde/allreduce/collectives.h>
#include <ronde/checkpoint/storage.h>
#include <ronde/core/context.h>
#include <ronde/ps/shard_map.h>

namespace {

// Rank 0 writes the verified sum through the file storage backend and reads it back.
bool store_and_reload(double value) {
  const auto root = std::filesystem::temp_directory_path() / "ronde-consumer-store";
  auto store = ronde::checkpoint::open_storage("file://" + root.string());
  const std::string text = std::to_string(value);
  store->put("result.txt", std::as_bytes(std::span(text)));
  const auto back = store->get_all("result.txt");
  store->remove("result.txt");
  return std::string(reinterpret_cast<const char*>(back.data()), back.size()) == text;
}

// The parameter server's placement, computed as a worker would (no server needed).
bool shard_map_covers() {
  const ronde::ps::ShardMap map(2, 1 << 20);
  const auto placement = map.place("embedding", ronde::DType::F32, {1000, 1000});
  std::uint64_t covered = 0;
  for (const auto& partition : placement.partitions) covered += partition.length;
  return placement.partitions.size() > 1 && covered == 1000u * 1000u;
}

}  // namespace

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
  if (context.rank() == 0) {
    if (!shard_map_covers()) {
      std::fprintf(stderr, "consumer: the shard map does not cover the tensor\n");
      return 1;
    }
    if (!store_and_reload(expected)) {
      std::fprintf(stderr, "consumer: the stored result did not read back\n");
      return 1;
    }
    std::printf("consumer: sum over %d ranks verified and stored\n", context.size());
  }
  return 0;
}

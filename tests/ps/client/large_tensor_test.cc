// Large tensors stream in chunks at any size: a 64 MiB tensor split into 2 MiB partitions, and the
// same tensor as one 64 MiB partition (16 times gRPC's default 4 MiB message limit), round trip
// exactly.
#include <gtest/gtest.h>

#include "client_fixture.h"

namespace ronde::ps::testing {
namespace {

void round_trip(std::size_t partition_bytes, int servers_count) {
  const std::size_t elements = std::size_t{16} << 20;  // 64 MiB of f32
  ServerGroup servers(servers_count, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  ClientOptions options = client_options(servers.addresses(), 0, 1);
  options.partition_bytes = partition_bytes;
  options.threads = 4;
  Client client(options);
  std::vector<float> values(elements);
  for (std::size_t i = 0; i < elements; ++i) values[i] = static_cast<float>(i % 4099);
  client.declare("big", Tensor::of(values)).get();
  std::vector<float> grad(elements);
  for (std::size_t i = 0; i < elements; ++i) grad[i] = static_cast<float>(i % 7);
  std::vector<float> out(elements, -1.0f);
  client.push_pull("big", Tensor::of(grad), Tensor::of(out)).get();
  for (std::size_t i = 0; i < elements; ++i) {
    if (out[i] != static_cast<float>(i % 4099 + i % 7)) {
      FAIL() << "element " << i << " is " << out[i] << "\n" << servers.logs();
    }
  }
}

TEST(ClientLarge, SixtyFourMiBInTwoMiBPartitionsOverTwoServers) { round_trip(std::size_t{2} << 20, 2); }

TEST(ClientLarge, SixtyFourMiBAsOnePartition) { round_trip(std::size_t{128} << 20, 1); }

}  // namespace
}  // namespace ronde::ps::testing

// ClientOptions::connections: a client opens that many TCP connections to each server when it
// connects, keeps them, and spreads its calls over all of them.
#include <gtest/gtest.h>

#include "client_fixture.h"
#include "ps/support/fault_proxy.h"

namespace ronde::ps::testing {
namespace {

TEST(ClientConnections, EachServerGetsItsConnectionsAndCallsUseEveryOne) {
  ServerGroup servers(1, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  FaultProxy proxy({.target = servers[0].address(), .faults = false});  // forwards faithfully, counting
  ClientOptions options = client_options({proxy.address()}, 0, 1);
  options.connections = 3;
  options.threads = 3;
  options.partition_bytes = std::size_t{1} << 20;
  Client client(options);
  EXPECT_EQ(proxy.connections(), 3) << "connections opened by the first contact";

  const std::size_t elements = std::size_t{3} << 20;  // 12 MiB of f32: 12 partitions
  std::vector<float> values(elements, 1.0f), grad(elements, 2.0f);
  client.declare("w", Tensor::of(values)).get();
  constexpr int kSteps = 3;
  for (int step = 0; step < kSteps; ++step) client.push_pull("w", Tensor::of(grad), Tensor::of(values)).get();
  for (std::size_t i = 0; i < elements; i += 4099) {
    ASSERT_EQ(values[i], 1.0f + 2.0f * kSteps) << "element " << i << "\n" << servers.logs();
  }

  EXPECT_EQ(proxy.connections(), 3) << "the connections were not kept";
  const auto sent = proxy.bytes_from_clients();
  ASSERT_EQ(sent.size(), 3u);
  for (std::size_t c = 0; c < sent.size(); ++c) {
    // 36 partition pushes of 1 MiB each in turn over three connections: each carried several.
    EXPECT_GT(sent[c], std::uint64_t{4} << 20) << "connection " << c << " carried " << sent[c] << " bytes";
  }
}

}  // namespace
}  // namespace ronde::ps::testing

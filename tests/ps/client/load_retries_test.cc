// LOAD with injected failures: 8 workers push integer-valued gradients concurrently through TCP
// proxies that cut connections at random moments (dropping replies, so acknowledgements are lost
// and the clients retry). Pushes are exactly-once: the final values are the exact sums.
#include <gtest/gtest.h>

#include <cstdio>

#include "client_fixture.h"
#include "ps/support/fault_proxy.h"

namespace ronde::ps::testing {
namespace {

void load_with_cuts(const std::string& mode, const std::vector<std::string>& extra_flags) {
  const std::uint32_t workers = 8;
  const int pushes = 25;
  const std::size_t elements = 600, partition_bytes = 1024;  // 3 partitions over 2 servers
  std::vector<std::string> flags = {"--workers", "8", "--mode", mode, "--optimizer", "sum"};
  flags.insert(flags.end(), extra_flags.begin(), extra_flags.end());
  ServerGroup servers(2, flags);
  std::vector<std::unique_ptr<FaultProxy>> proxies;
  std::vector<std::string> through;
  for (int s = 0; s < servers.size(); ++s) {
    FaultProxy::Options options;
    options.target = servers[s].address();
    options.seed = 11 + static_cast<std::uint64_t>(s);
    proxies.push_back(std::make_unique<FaultProxy>(options));
    through.push_back(proxies.back()->address());
  }

  std::vector<std::vector<float>> finals(workers);
  run_workers(workers, [&](std::uint32_t worker) {
    ClientOptions options = client_options(through, worker, workers);
    options.partition_bytes = partition_bytes;
    options.threads = 2;
    Client client(options);
    std::vector<float> values(elements, 0.0f), grad(elements);
    client.declare("w", Tensor::of(values)).get();
    for (int k = 0; k < pushes; ++k) {
      for (std::size_t i = 0; i < elements; ++i) grad[i] = static_cast<float>(worker + 1 + (i + static_cast<std::size_t>(k)) % 5);
      client.push_pull("w", Tensor::of(grad), Tensor::of(values)).get();
    }
    finals[worker] = values;
  });
  int cuts = 0;
  for (auto& proxy : proxies) {
    proxy->set_faults(false);
    cuts += proxy->cuts();
  }
  EXPECT_GT(cuts, 0) << "the proxies never cut a connection: nothing was retried";

  // Read the values straight from the servers (no proxy).
  ClientOptions options = client_options(servers.addresses(), 0, workers);
  options.partition_bytes = partition_bytes;
  Client observer(options);
  std::vector<float> values(elements, -1.0f);
  observer.declare("w", Tensor::of(values)).get();
  for (std::size_t i = 0; i < elements; ++i) {
    float expected = 0;
    for (std::uint32_t w = 0; w < workers; ++w) {
      for (int k = 0; k < pushes; ++k) expected += static_cast<float>(w + 1 + (i + static_cast<std::size_t>(k)) % 5);
    }
    ASSERT_EQ(values[i], expected) << "element " << i << " (" << cuts << " cuts)\n" << servers.logs();
  }
  if (mode == "sync") {  // every worker's last pull waited for every push
    for (std::uint32_t w = 0; w < workers; ++w) EXPECT_EQ(finals[w], values) << "worker " << w;
  }
  std::printf("%d connections cut\n", cuts);
}

TEST(ClientLoad, EightWorkersAsyncWithCutConnectionsSumExactly) { load_with_cuts("async", {}); }

TEST(ClientLoad, EightWorkersSyncWithCutConnectionsSumExactly) { load_with_cuts("sync", {"--aggregate", "sum"}); }

}  // namespace
}  // namespace ronde::ps::testing

// Memory exhaustion: a server that cannot allocate what a request needs (a declared tensor's
// values and optimizer state, a table's rows) refuses that request with RESOURCE_EXHAUSTED naming
// the tensor and the bytes asked for, changes nothing, and keeps serving. The server runs with a
// limited address space (RLIMIT_AS), so the allocations fail at once instead of exhausting the
// machine.
#include <gtest/gtest.h>

#include "ps/server/server_fixture.h"

namespace ronde::ps::testing {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;  // sanitizers reserve terabytes of address space: no RLIMIT_AS
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

constexpr std::size_t kAddressSpace = std::size_t{3} << 30;  // far more than an idle server maps
constexpr std::int64_t kHugeElements = std::int64_t{1} << 31;  // 8 GiB of f32: beyond the limit

TEST(ServerMemory, AllocationFailuresNameTheTensorAndTheServerKeepsServing) {
  if (kSanitized) GTEST_SKIP() << "RLIMIT_AS cannot be used under a sanitizer";
  ServerProcess process({"--workers", "1", "--mode", "async", "--optimizer", "adam", "--max-request-bytes", "64G"});
  process.limit_address_space(kAddressSpace);
  process.start();
  RawClient client(process.address());

  // A dense tensor whose values cannot be allocated.
  EXPECT_TRUE(refused(client.declare(dense_declare("huge", {kHugeElements})),
                      {"'huge'", "f32[2147483648]", "8589934592 bytes"}, grpc::StatusCode::RESOURCE_EXHAUSTED))
      << process.log_tail();
  // A table of rows too wide to create: declaring allocates nothing, the first touch of a row does.
  ASSERT_TRUE(client.declare(table_declare("wide", static_cast<std::uint64_t>(kHugeElements))).ok());
  const RowsResult rows = client.pull_rows("wide", 0, 0, {7});
  EXPECT_TRUE(refused(rows.status, {"'wide'", "8589934592 bytes"}, grpc::StatusCode::RESOURCE_EXHAUSTED))
      << process.log_tail();

  // Nothing was created, and the server keeps serving.
  v1::StatusReply status;
  ASSERT_TRUE(client.status(status).ok()) << process.log_tail();
  EXPECT_EQ(status.partitions(), 0u);
  EXPECT_EQ(status.tables(), 1u);
  ASSERT_TRUE(client.declare(dense_declare("w", {2})).ok()) << process.log_tail();
  ASSERT_TRUE(client.push("w", 0, 0, 0, 0, {1, 2}, v1::INITIAL).status.ok());
  EXPECT_EQ(client.pull("w", 0, 0, 0).values, std::vector<float>({1, 2}));
  EXPECT_TRUE(refused(client.declare(dense_declare("huge", {kHugeElements})), {"'huge'"},
                      grpc::StatusCode::RESOURCE_EXHAUSTED));
  EXPECT_TRUE(process.running());
}

}  // namespace
}  // namespace ronde::ps::testing

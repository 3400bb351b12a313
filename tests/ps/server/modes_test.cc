// Consistency modes and exactly-once pushes, through raw calls to a real server. Waiting calls
// are observed with futures; "still waiting" is shown by a call with a short deadline ending in
// DEADLINE_EXCEEDED, which a correct server can never answer otherwise.
#include <signal.h>
#include <sys/wait.h>

#include <cstring>
#include <future>
#include <limits>
#include <thread>

#include <gtest/gtest.h>

#include "ps/server/server_fixture.h"

namespace ronde::ps::testing {
namespace {

using namespace std::chrono_literals;

void init(RawClient& client, const std::string& tensor, const std::vector<float>& values) {
  ASSERT_TRUE(client.declare(dense_declare(tensor, {static_cast<std::int64_t>(values.size())})).ok());
  ASSERT_TRUE(client.push(tensor, 0, 0, 0, 0, values, v1::INITIAL).status.ok());
}

TEST(SyncMode, TwoWorkersPushesAreAveragedAndAppliedOnce) {
  RunningServer server({"--workers", "2", "--mode", "sync", "--optimizer", "sgd", "--opt", "lr=1"});
  RawClient& client = *server.client;
  init(client, "w", {10, 20, 30});

  const PushResult first = client.push("w", 0, 0, 0, 1, {2, 4, 6});
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_EQ(first.reply.version(), 0u);  // summed, not applied yet
  EXPECT_FALSE(first.reply.duplicate());

  // Worker 0's pull of step 1 cannot be answered until worker 1 pushed step 0.
  EXPECT_EQ(client.pull("w", 0, 0, 1, 300ms).status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  auto waiting = std::async(std::launch::async, [&] { return client.pull("w", 0, 0, 1, 20s); });
  // Nor can worker 0's push of step 1 be taken before step 0 is complete.
  auto next_push = std::async(std::launch::async, [&] { return client.push("w", 0, 0, 1, 2, {1, 1, 1}, v1::GRADIENT, 20s); });

  const PushResult second = client.push("w", 0, 1, 0, 1, {4, 8, 12});
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  const PullResult pulled = waiting.get();
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  EXPECT_GE(pulled.header.version(), 1u);
  EXPECT_EQ(pulled.values, std::vector<float>({7, 14, 21}));  // w - mean(g) = w - (3, 6, 9)
  const PushResult pushed = next_push.get();
  ASSERT_TRUE(pushed.status.ok()) << pushed.status.error_message();
  EXPECT_EQ(pushed.reply.version(), 1u);

  // Step 1 completes with worker 1's push; the values then reflect two steps, each applied once.
  ASSERT_TRUE(client.push("w", 0, 1, 1, 2, {3, 3, 3}).status.ok());
  const PullResult after = client.pull("w", 0, 1, 2);
  ASSERT_TRUE(after.status.ok());
  EXPECT_EQ(after.header.version(), 2u);
  EXPECT_EQ(after.values, std::vector<float>({5, 12, 19}));
}

TEST(SyncMode, SumAggregation) {
  RunningServer server({"--workers", "2", "--aggregate", "sum", "--optimizer", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {1, 1});
  ASSERT_TRUE(client.push("w", 0, 0, 0, 1, {1, 2}).status.ok());
  ASSERT_TRUE(client.push("w", 0, 1, 0, 1, {10, 20}).status.ok());
  EXPECT_EQ(client.pull("w", 0, 0, 1).values, std::vector<float>({12, 23}));
}

TEST(SyncMode, PullsWaitForWorkerZerosInitialValues) {
  RunningServer server({"--workers", "2"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(dense_declare("w", {2}, 1)).ok());
  v1::DeclareReply reply;
  ASSERT_TRUE(client.declare(dense_declare("w", {2}, 0), reply).ok());
  EXPECT_FALSE(reply.initialized());
  EXPECT_EQ(client.pull("w", 0, 1, 0, 300ms).status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  auto waiting = std::async(std::launch::async, [&] { return client.pull("w", 0, 1, 0, 20s); });
  ASSERT_TRUE(client.push("w", 0, 0, 0, 0, {5, 6}, v1::INITIAL).status.ok());
  EXPECT_EQ(waiting.get().values, std::vector<float>({5, 6}));
  // Later initial values are ignored (acknowledged as duplicates); worker 0's values won.
  const PushResult again = client.push("w", 0, 0, 0, 0, {7, 8}, v1::INITIAL);
  ASSERT_TRUE(again.status.ok());
  EXPECT_TRUE(again.reply.duplicate());
  ASSERT_TRUE(client.declare(dense_declare("w", {2}, 1), reply).ok());
  EXPECT_TRUE(reply.initialized());
  EXPECT_EQ(client.pull("w", 0, 1, 0).values, std::vector<float>({5, 6}));
}

TEST(SyncMode, PartitionsAreIndependent) {
  RunningServer server({"--workers", "1", "--optimizer", "sum"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(partition_declare("t", 5, 0, 2)).ok());
  ASSERT_TRUE(client.declare(partition_declare("t", 5, 1, 2)).ok());
  ASSERT_TRUE(client.push("t", 0, 0, 0, 0, {1, 2, 3}, v1::INITIAL).status.ok());
  ASSERT_TRUE(client.push("t", 1, 0, 0, 0, {4, 5}, v1::INITIAL).status.ok());
  ASSERT_TRUE(client.push("t", 0, 0, 0, 1, {1, 1, 1}).status.ok());
  EXPECT_EQ(client.pull("t", 0, 0, 1).header.version(), 1u);
  EXPECT_EQ(client.pull("t", 1, 0, 0).header.version(), 0u);
  EXPECT_EQ(client.pull("t", 0, 0, 1).values, std::vector<float>({2, 3, 4}));
  EXPECT_EQ(client.pull("t", 1, 0, 0).values, std::vector<float>({4, 5}));
}

TEST(SyncMode, IntegerTensorsAddExactly) {
  RunningServer server({"--workers", "2", "--aggregate", "sum", "--optimizer", "sum"});
  RawClient& client = *server.client;
  auto declare = dense_declare("counts", {2});
  declare.set_dtype(v1::I64);
  ASSERT_TRUE(client.declare(declare).ok());
  auto push = [&](std::uint32_t worker, std::uint64_t sequence, std::vector<std::int64_t> values, v1::PushKind kind) {
    v1::PushHeader header;
    header.set_tensor("counts");
    header.set_worker(worker);
    header.set_sequence(sequence);
    header.set_dtype(v1::I64);
    header.set_length(values.size());
    header.set_kind(kind);
    return client.push_raw(header, std::string(reinterpret_cast<const char*>(values.data()), values.size() * 8));
  };
  const std::int64_t big = (std::int64_t{1} << 60) + 1;  // not representable in f64
  ASSERT_TRUE(push(0, 0, {big, -5}, v1::INITIAL).status.ok());
  ASSERT_TRUE(push(0, 1, {1, 2}, v1::GRADIENT).status.ok());
  ASSERT_TRUE(push(1, 1, {10, -20}, v1::GRADIENT).status.ok());
  const PullResult pulled = client.pull("counts", 0, 0, 1);
  ASSERT_TRUE(pulled.status.ok());
  std::vector<std::int64_t> values(2);
  ASSERT_EQ(pulled.bytes.size(), 16u);
  std::memcpy(values.data(), pulled.bytes.data(), 16);
  EXPECT_EQ(values, std::vector<std::int64_t>({big + 11, -23}));
  EXPECT_EQ(pulled.header.dtype(), v1::I64);
}

// i64 sums wrap modulo 2^64, as the narrower integers wrap: an overflowing sum is defined (the
// sanitizer build's server would otherwise stop on signed overflow) and the server keeps serving.
TEST(SyncMode, IntegerSumsWrapInsteadOfOverflowing) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  auto push = [](RawClient& client, std::uint32_t worker, std::uint64_t sequence, std::vector<std::int64_t> values,
                 v1::PushKind kind = v1::GRADIENT) {
    v1::PushHeader header;
    header.set_tensor("counts");
    header.set_worker(worker);
    header.set_step(kind == v1::GRADIENT ? static_cast<std::int64_t>(sequence) - 1 : 0);
    header.set_sequence(sequence);
    header.set_dtype(v1::I64);
    header.set_length(values.size());
    header.set_kind(kind);
    return client.push_raw(header, std::string(reinterpret_cast<const char*>(values.data()), values.size() * 8));
  };
  auto values_of = [](const PullResult& pulled) {
    std::vector<std::int64_t> values(pulled.bytes.size() / 8);
    if (!values.empty()) std::memcpy(values.data(), pulled.bytes.data(), pulled.bytes.size());
    return values;
  };
  auto declare = dense_declare("counts", {2});
  declare.set_dtype(v1::I64);

  // Sync: the step's accumulator overflows (kMax + 1), then adding it to the values does.
  RunningServer sync({"--workers", "2", "--aggregate", "sum", "--optimizer", "sum"});
  ASSERT_TRUE(sync.client->declare(declare).ok());
  ASSERT_TRUE(push(*sync.client, 0, 0, {0, kMax}, v1::INITIAL).status.ok());
  ASSERT_TRUE(push(*sync.client, 0, 1, {kMax, 1}).status.ok());
  ASSERT_TRUE(push(*sync.client, 1, 1, {1, 0}).status.ok());
  const PullResult synced = sync.client->pull("counts", 0, 0, 1);
  ASSERT_TRUE(synced.status.ok()) << synced.status.error_message() << "\n" << sync.process.log_tail();
  EXPECT_EQ(values_of(synced), std::vector<std::int64_t>({kMin, kMin}));

  // Async: each push is added to the values on arrival.
  RunningServer async({"--mode", "async", "--optimizer", "sum"});
  ASSERT_TRUE(async.client->declare(declare).ok());
  ASSERT_TRUE(push(*async.client, 0, 0, {kMax, kMin}, v1::INITIAL).status.ok());
  ASSERT_TRUE(push(*async.client, 0, 1, {1, -1}).status.ok());
  const PullResult pulled = async.client->pull("counts", 0, 0, 0);
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message() << "\n" << async.process.log_tail();
  EXPECT_EQ(values_of(pulled), std::vector<std::int64_t>({kMin, kMax}));
}

TEST(SyncMode, IntegerTensorsNeedTheSumOptimizer) {
  RunningServer server({"--optimizer", "adam"});
  auto declare = dense_declare("counts", {2});
  declare.set_dtype(v1::I32);
  EXPECT_TRUE(refused(server.client->declare(declare), {"'counts'", "i32", "--optimizer sum"}));
}

TEST(AsyncMode, EachPushIsAppliedOnArrival) {
  RunningServer server({"--workers", "2", "--mode", "async", "--optimizer", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {0, 0});
  const PushResult a = client.push("w", 0, 1, 0, 1, {1, 2});
  ASSERT_TRUE(a.status.ok());
  EXPECT_EQ(a.reply.version(), 1u);
  EXPECT_EQ(client.pull("w", 0, 0, 0).values, std::vector<float>({1, 2}));
  const PushResult b = client.push("w", 0, 1, 1, 2, {10, 20});
  EXPECT_EQ(b.reply.version(), 2u);
  const PushResult c = client.push("w", 0, 0, 0, 1, {100, 200});
  EXPECT_EQ(c.reply.version(), 3u);
  const PullResult pulled = client.pull("w", 0, 1, 5);  // async pulls never wait
  EXPECT_EQ(pulled.header.version(), 3u);
  EXPECT_EQ(pulled.values, std::vector<float>({111, 222}));
}

TEST(BoundedStaleness, FastWorkerWaitsForTheSlowOne) {
  RunningServer server({"--workers", "2", "--mode", "stale", "--staleness", "1", "--optimizer", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {0});
  ASSERT_TRUE(client.push("w", 0, 0, 0, 1, {1}).status.ok());
  ASSERT_TRUE(client.push("w", 0, 0, 1, 2, {1}).status.ok());
  // Worker 0 has pushed 2 steps, worker 1 none: step 1 is within tau, step 2 is not.
  EXPECT_TRUE(client.pull("w", 0, 0, 1).status.ok());
  EXPECT_EQ(client.pull("w", 0, 0, 2, 300ms).status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  auto waiting = std::async(std::launch::async, [&] { return client.pull("w", 0, 0, 2, 20s); });
  ASSERT_TRUE(client.push("w", 0, 1, 0, 1, {10}).status.ok());
  const PullResult pulled = waiting.get();
  ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
  EXPECT_EQ(pulled.values, std::vector<float>({12}));
  EXPECT_EQ(pulled.header.version(), 3u);
}

TEST(ExactlyOnce, SameSequenceTwiceIsAppliedOnce) {
  RunningServer server({"--workers", "2", "--mode", "async", "--optimizer", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {0});
  const PushResult first = client.push("w", 0, 1, 0, 1, {5});
  const PushResult retry = client.push("w", 0, 1, 0, 1, {5});
  ASSERT_TRUE(retry.status.ok());
  EXPECT_FALSE(first.reply.duplicate());
  EXPECT_TRUE(retry.reply.duplicate());
  EXPECT_EQ(retry.reply.version(), 1u);
  EXPECT_EQ(client.pull("w", 0, 1, 1).values, std::vector<float>({5}));
  // Another worker's sequence 1 is its own.
  EXPECT_FALSE(client.push("w", 0, 0, 0, 1, {5}).reply.duplicate());
  EXPECT_EQ(client.pull("w", 0, 1, 1).values, std::vector<float>({10}));
}

// Initial values stay outside the gradients' sequence: a sequence in an INITIAL header (the client
// sends 0) never turns worker 0's later gradients into duplicates.
TEST(ExactlyOnce, InitialValuesDoNotConsumeGradientSequences) {
  RunningServer server({"--mode", "async", "--optimizer", "sum"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(dense_declare("w", {1})).ok());
  ASSERT_TRUE(client.push("w", 0, 0, 0, 5, {1}, v1::INITIAL).status.ok());
  const PushResult gradient = client.push("w", 0, 0, 0, 1, {2});
  ASSERT_TRUE(gradient.status.ok()) << gradient.status.error_message();
  EXPECT_FALSE(gradient.reply.duplicate());
  EXPECT_EQ(gradient.reply.version(), 1u);
  EXPECT_EQ(client.pull("w", 0, 0, 1).values, std::vector<float>({3}));
}

// A gradient carries its worker's previous sequence; a server that has not taken that push (it
// restarted from an older checkpoint) refuses it with ABORTED, naming both sequences, before
// anything changes, so that the worker replays the lost pushes first: taking it would make their
// replay look like duplicates. Replays (gap_allowed) and duplicates pass.
TEST(ExactlyOnce, APushWhosePreviousTheServerLacksIsAbortedUntilTheGapIsFilled) {
  RunningServer server({"--mode", "async", "--optimizer", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {0});
  auto gradient = [&](std::uint64_t sequence, std::uint64_t previous, bool gap_allowed = false) {
    v1::PushHeader header;
    header.set_tensor("w");
    header.set_step(static_cast<std::int64_t>(sequence) - 1);
    header.set_sequence(sequence);
    header.set_previous_sequence(previous);
    header.set_gap_allowed(gap_allowed);
    header.set_dtype(v1::F32);
    header.set_length(1);
    const float one = 1;
    return client.push_raw(header, std::string(reinterpret_cast<const char*>(&one), sizeof one));
  };
  ASSERT_TRUE(gradient(1, 0).status.ok());
  const PushResult early = gradient(3, 2);
  EXPECT_EQ(early.status.error_code(), grpc::StatusCode::ABORTED);
  for (const char* part : {"sequence gap", "up to sequence 1", "previous push (sequence 2)", "tensor 'w'"}) {
    EXPECT_NE(early.status.error_message().find(part), std::string::npos) << early.status.error_message();
  }
  EXPECT_EQ(client.pull("w", 0, 0, 0).values, std::vector<float>({1})) << "the refused push changed the values";
  ASSERT_TRUE(gradient(2, 1).status.ok());  // the replay of the lost push fills the gap
  const PushResult now = gradient(3, 2);
  ASSERT_TRUE(now.status.ok()) << now.status.error_message();
  EXPECT_FALSE(now.reply.duplicate());
  EXPECT_TRUE(gradient(2, 1).reply.duplicate());  // a late retry is still a duplicate
  const PushResult allowed = gradient(9, 7, /*gap_allowed=*/true);
  ASSERT_TRUE(allowed.status.ok()) << allowed.status.error_message();
  EXPECT_EQ(client.pull("w", 0, 0, 0).values, std::vector<float>({4}));

  // Sparse rows follow the same rule.
  ASSERT_TRUE(client.declare(table_declare("emb", 2)).ok());
  ASSERT_TRUE(client.push_rows("emb", 0, 0, 1, {3}, {1, 1}, 2).status.ok());
  const PushResult rows_early = client.push_rows("emb", 0, 2, 3, {3}, {1, 1}, 2, /*previous_sequence=*/2);
  EXPECT_EQ(rows_early.status.error_code(), grpc::StatusCode::ABORTED) << rows_early.status.error_message();
  EXPECT_EQ(client.pull_rows("emb", 0, 0, {3}).values, std::vector<float>({1, 1}));
  ASSERT_TRUE(client.push_rows("emb", 0, 1, 2, {3}, {1, 1}, 2, /*previous_sequence=*/1).status.ok());
  ASSERT_TRUE(client.push_rows("emb", 0, 2, 3, {3}, {1, 1}, 2, /*previous_sequence=*/2).status.ok());
  EXPECT_EQ(client.pull_rows("emb", 0, 0, {3}).values, std::vector<float>({3, 3}));
}

// In sync mode the gap is found before the step rules: an early push of a later step is ABORTED
// (the worker replays, then sends it again), not refused for good as a wrong step.
TEST(ExactlyOnce, SyncModeReportsAGapBeforeAWrongStep) {
  RunningServer server({"--optimizer", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {0});
  v1::PushHeader header;
  header.set_tensor("w");
  header.set_dtype(v1::F32);
  header.set_length(1);
  header.set_step(0);
  header.set_sequence(1);
  const float one = 1;
  const std::string data(reinterpret_cast<const char*>(&one), sizeof one);
  ASSERT_TRUE(client.push_raw(header, data).status.ok());
  header.set_step(2);
  header.set_sequence(3);
  header.set_previous_sequence(2);
  const PushResult early = client.push_raw(header, data);
  EXPECT_EQ(early.status.error_code(), grpc::StatusCode::ABORTED) << early.status.error_message();
  header.set_previous_sequence(0);  // the same push without the previous sequence: a wrong step
  EXPECT_EQ(client.push_raw(header, data).status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(ExactlyOnce, SyncRetriesBeforeAndAfterTheStepCompletes) {
  RunningServer server({"--workers", "2", "--optimizer", "sum", "--aggregate", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {0});
  EXPECT_FALSE(client.push("w", 0, 0, 0, 1, {1}).reply.duplicate());
  EXPECT_TRUE(client.push("w", 0, 0, 0, 1, {1}).reply.duplicate());  // retried while the step is open
  EXPECT_FALSE(client.push("w", 0, 1, 0, 1, {2}).reply.duplicate());
  EXPECT_TRUE(client.push("w", 0, 0, 0, 1, {1}).reply.duplicate());  // retried after it completed
  EXPECT_EQ(client.pull("w", 0, 0, 1).values, std::vector<float>({3}));
}

TEST(ExactlyOnce, ConcurrentRetriesOfOnePushAreTakenOnce) {
  RunningServer server({"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  RawClient& client = *server.client;
  init(client, "w", {0});
  std::vector<std::future<PushResult>> pushes;
  for (int i = 0; i < 6; ++i) {
    pushes.push_back(std::async(std::launch::async, [&] { return client.push("w", 0, 0, 0, 1, {1}); }));
  }
  int taken = 0;
  for (auto& push : pushes) {
    const PushResult result = push.get();
    ASSERT_TRUE(result.status.ok());
    taken += result.reply.duplicate() ? 0 : 1;
  }
  EXPECT_EQ(taken, 1);
  EXPECT_EQ(client.pull("w", 0, 0, 0).values, std::vector<float>({1}));
}

TEST(Shutdown, WaitingCallsEndWithUnavailableAndTheServerExitsZero) {
  RunningServer server({"--workers", "2"});
  RawClient& client = *server.client;
  init(client, "w", {0});
  ASSERT_TRUE(client.push("w", 0, 0, 0, 1, {1}).status.ok());
  // Make sure the pull is waiting (its short twin timed out) before stopping the server.
  EXPECT_EQ(client.pull("w", 0, 0, 1, 200ms).status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  auto waiting = std::async(std::launch::async, [&] { return client.pull("w", 0, 0, 1, 20s); });
  v1::StatusReply status;
  ASSERT_TRUE(client.status(status).ok());
  std::this_thread::sleep_for(200ms);  // lets the pull reach the server (not an assertion)
  const int exit_status = server.process.stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << server.process.log_tail();
  const grpc::StatusCode code = waiting.get().status.error_code();
  EXPECT_EQ(code, grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(server.process.log_tail().find("shut down"), std::string::npos) << server.process.log_tail();
}

}  // namespace
}  // namespace ronde::ps::testing

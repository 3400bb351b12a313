// Server state in checkpoints: SIGTERM writes a final checkpoint that a restart restores
// (values, versions, sync sums, sequences, optimizer state, sparse rows), durable sequences are
// reported, a SIGKILL loses only what came after the last checkpoint, and a checkpoint written
// for another server count stops the server with a clear message.
#include <signal.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "ps/server/server_fixture.h"

namespace ronde::ps::testing {
namespace {

using namespace std::chrono_literals;

// Re-pushes an acknowledged push (a duplicate) until its reply reports `sequence` durable.
bool wait_durable(RawClient& client, const std::string& tensor, std::uint32_t worker, std::int64_t step,
                  std::uint64_t sequence, const std::vector<float>& values) {
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    const PushResult result = client.push(tensor, 0, worker, step, sequence, values);
    if (result.status.ok() && result.reply.durable_sequence() >= sequence) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

TEST(Checkpoints, SigtermSavesAndARestartRestoresEverything) {
  TempDir dir;
  RunningServer server({"--workers", "2", "--optimizer", "adam", "--opt", "lr=0.1", "--checkpoint", dir.file_uri()});
  RawClient* client = server.client.get();
  ASSERT_TRUE(client->declare(dense_declare("w", {3})).ok());
  ASSERT_TRUE(client->push("w", 0, 0, 0, 0, {1, 2, 3}, v1::INITIAL).status.ok());
  ASSERT_TRUE(client->push("w", 0, 0, 0, 1, {1, 1, 1}).status.ok());
  ASSERT_TRUE(client->push("w", 0, 1, 0, 1, {3, 3, 3}).status.ok());
  ASSERT_TRUE(client->push("w", 0, 0, 1, 2, {1, -1, 1}).status.ok());  // step 1, half pushed
  v1::StatusReply before;
  ASSERT_TRUE(client->status(before).ok());
  EXPECT_TRUE(before.checkpointing());
  const std::vector<float> after_step_1 = client->pull("w", 0, 1, 1).values;

  const int exit_status = server.process.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(exit_status) && WEXITSTATUS(exit_status) == 0) << server.process.log_tail();
  EXPECT_NE(server.process.log_tail().find("checkpoint committed (shutdown)"), std::string::npos)
      << server.process.log_tail();

  server.process.start();
  server.reconnect();
  client = server.client.get();
  v1::StatusReply after;
  ASSERT_TRUE(client->status(after).ok());
  EXPECT_NE(after.incarnation(), before.incarnation());
  EXPECT_EQ(after.partitions(), 1u);
  EXPECT_NE(server.process.log_tail().find("restored the checkpoint"), std::string::npos) << server.process.log_tail();
  v1::DeclareReply declared;
  ASSERT_TRUE(client->declare(dense_declare("w", {3}, 1), declared).ok());
  EXPECT_EQ(declared.version(), 1u);
  EXPECT_TRUE(declared.initialized());
  EXPECT_EQ(client->pull("w", 0, 1, 1).values, after_step_1);
  // Worker 0's half of step 1 was restored: its retry is a duplicate, already durable.
  const PushResult retry = client->push("w", 0, 0, 1, 2, {1, -1, 1});
  ASSERT_TRUE(retry.status.ok());
  EXPECT_TRUE(retry.reply.duplicate());
  EXPECT_EQ(retry.reply.durable_sequence(), 2u);
  ASSERT_TRUE(client->push("w", 0, 1, 1, 2, {1, 1, 1}).status.ok());
  const PullResult resumed = client->pull("w", 0, 0, 2);
  EXPECT_EQ(resumed.header.version(), 2u);

  // The same updates on a server that never stopped give the same values, bit for bit (Adam's
  // moments and step count were restored too).
  RunningServer reference({"--workers", "2", "--optimizer", "adam", "--opt", "lr=0.1"});
  RawClient& ref = *reference.client;
  ASSERT_TRUE(ref.declare(dense_declare("w", {3})).ok());
  ASSERT_TRUE(ref.push("w", 0, 0, 0, 0, {1, 2, 3}, v1::INITIAL).status.ok());
  ASSERT_TRUE(ref.push("w", 0, 0, 0, 1, {1, 1, 1}).status.ok());
  ASSERT_TRUE(ref.push("w", 0, 1, 0, 1, {3, 3, 3}).status.ok());
  ASSERT_TRUE(ref.push("w", 0, 0, 1, 2, {1, -1, 1}).status.ok());
  ASSERT_TRUE(ref.push("w", 0, 1, 1, 2, {1, 1, 1}).status.ok());
  EXPECT_EQ(resumed.values, ref.pull("w", 0, 0, 2).values);
}

TEST(Checkpoints, SparseRowsAndTheirOptimizerStateSurviveARestart) {
  TempDir dir;
  const std::vector<std::string> arguments = {"--mode", "async", "--optimizer", "adagrad", "--opt", "lr=0.5"};
  std::vector<std::string> with_checkpoints = arguments;
  with_checkpoints.insert(with_checkpoints.end(), {"--checkpoint", dir.path()});
  RunningServer server(with_checkpoints);
  RunningServer reference(arguments);
  for (RawClient* client : {server.client.get(), reference.client.get()}) {
    ASSERT_TRUE(client->declare(table_declare("emb", 2)).ok());
    ASSERT_TRUE(client->push_rows("emb", 0, 0, 1, {3, 4}, {1, 2, 3, 4}, 2).status.ok());
  }
  ASSERT_EQ(server.process.stop(SIGTERM), 0);
  server.process.start();
  server.reconnect();
  for (RawClient* client : {server.client.get(), reference.client.get()}) {
    ASSERT_TRUE(client->declare(table_declare("emb", 2)).ok());
    EXPECT_TRUE(client->push_rows("emb", 0, 0, 1, {3, 4}, {1, 2, 3, 4}, 2).reply.duplicate());
    ASSERT_TRUE(client->push_rows("emb", 0, 1, 2, {3}, {-1, 1}, 2).status.ok());
  }
  EXPECT_EQ(server.client->pull_rows("emb", 0, 2, {3, 4}).values,
            reference.client->pull_rows("emb", 0, 2, {3, 4}).values);
}

TEST(Checkpoints, SigkillLosesOnlyWhatCameAfterTheLastCheckpoint) {
  TempDir dir;
  RunningServer server({"--mode", "async", "--optimizer", "sum", "--checkpoint", dir.file_uri(),
                        "--checkpoint-every-steps", "2"});
  RawClient* client = server.client.get();
  ASSERT_TRUE(client->declare(dense_declare("w", {1})).ok());
  ASSERT_TRUE(client->push("w", 0, 0, 0, 0, {0}, v1::INITIAL).status.ok());
  ASSERT_TRUE(client->push("w", 0, 0, 0, 1, {1}).status.ok());
  ASSERT_TRUE(client->push("w", 0, 0, 1, 2, {10}).status.ok());  // version 2: a checkpoint is due
  ASSERT_TRUE(wait_durable(*client, "w", 0, 1, 2, {10})) << server.process.log_tail();
  ASSERT_TRUE(client->push("w", 0, 0, 2, 3, {100}).status.ok());  // acknowledged, not durable
  server.process.stop(SIGKILL);

  server.process.start();
  server.reconnect();
  client = server.client.get();
  EXPECT_EQ(client->pull("w", 0, 0, 0).values, std::vector<float>({11}));
  // The client's replay: sequences up to the durable one are duplicates, the rest are taken.
  EXPECT_TRUE(client->push("w", 0, 0, 1, 2, {10}).reply.duplicate());
  EXPECT_FALSE(client->push("w", 0, 0, 2, 3, {100}).reply.duplicate());
  EXPECT_EQ(client->pull("w", 0, 0, 0).values, std::vector<float>({111}));
}

TEST(Checkpoints, TimedCheckpointsMakePushesDurable) {
  TempDir dir;
  RunningServer server({"--mode", "async", "--optimizer", "sum", "--checkpoint", dir.file_uri(),
                        "--checkpoint-every-seconds", "0.2"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(dense_declare("w", {1})).ok());
  ASSERT_TRUE(client.push("w", 0, 0, 0, 0, {0}, v1::INITIAL).status.ok());
  const PushResult first = client.push("w", 0, 0, 0, 1, {1});
  EXPECT_EQ(first.reply.durable_sequence(), 0u);
  EXPECT_TRUE(wait_durable(client, "w", 0, 0, 1, {1})) << server.process.log_tail();
}

TEST(Checkpoints, ARestartWithAnotherServerCountFailsClearly) {
  TempDir dir;
  {
    RunningServer server({"--checkpoint", dir.file_uri()});
    ASSERT_TRUE(server.client->declare(dense_declare("w", {1})).ok());
    ASSERT_EQ(server.process.stop(SIGTERM), 0);
  }
  const BinaryRun run = run_server_binary({"--listen", "127.0.0.1:0", "--shards", "2", "--checkpoint", dir.file_uri()});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_NE(run.output.find("re-partitioning is not supported"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("server 0 of 1 servers"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("server 0 of 2"), std::string::npos) << run.output;
  EXPECT_NE(run.output.find("start 1 servers or use a fresh checkpoint URI"), std::string::npos) << run.output;

  const BinaryRun workers = run_server_binary({"--listen", "127.0.0.1:0", "--workers", "3", "--checkpoint", dir.file_uri()});
  EXPECT_EQ(workers.exit_code, 1) << workers.output;
  EXPECT_NE(workers.output.find("written for 1 workers, but --workers is 3"), std::string::npos) << workers.output;
  const BinaryRun optimizer = run_server_binary({"--listen", "127.0.0.1:0", "--optimizer", "adam", "--checkpoint", dir.file_uri()});
  EXPECT_EQ(optimizer.exit_code, 1) << optimizer.output;
  EXPECT_NE(optimizer.output.find("optimizer 'sgd', but --optimizer is 'adam'"), std::string::npos) << optimizer.output;
}

TEST(Checkpoints, ARestartMayChangeTheLearningRate) {
  TempDir dir;
  RunningServer server({"--optimizer", "sgd", "--opt", "lr=1", "--checkpoint", dir.file_uri()});
  ASSERT_TRUE(server.client->declare(dense_declare("w", {1})).ok());
  ASSERT_TRUE(server.client->push("w", 0, 0, 0, 0, {10}, v1::INITIAL).status.ok());
  ASSERT_TRUE(server.client->push("w", 0, 0, 0, 1, {1}).status.ok());  // 10 - 1 * 1
  ASSERT_EQ(server.process.stop(SIGTERM), 0);
  server.process.arguments() = {"--optimizer", "sgd", "--opt", "lr=0.5", "--checkpoint", dir.file_uri()};
  server.process.start();
  server.reconnect();
  ASSERT_TRUE(server.client->declare(dense_declare("w", {1})).ok());
  ASSERT_TRUE(server.client->push("w", 0, 0, 1, 2, {1}).status.ok());  // 9 - 0.5 * 1
  EXPECT_EQ(server.client->pull("w", 0, 0, 2).values, std::vector<float>({8.5f}));
}

// A failed save does not push the next step-triggered one back: the step count runs from the last
// COMMITTED checkpoint, so once storage works again the next version that is --checkpoint-every-steps
// past it is saved at once (not every-steps versions after the failed attempt). The failure is logged
// with its reason.
TEST(Checkpoints, AFailedSaveDoesNotDelayTheNextStepTrigger) {
  TempDir dir;
  RunningServer server({"--mode", "async", "--optimizer", "sum", "--checkpoint", dir.file_uri(),
                        "--checkpoint-every-steps", "2"});
  RawClient& client = *server.client;
  ASSERT_TRUE(client.declare(dense_declare("w", {1})).ok());
  ASSERT_TRUE(client.push("w", 0, 0, 0, 0, {0}, v1::INITIAL).status.ok());
  // Break the storage: a file where the shard's checkpoint directory goes.
  const std::filesystem::path shard_dir = std::filesystem::path(dir.path()) / "shard-0";
  std::filesystem::remove_all(shard_dir);
  std::ofstream(shard_dir) << "not a directory";
  ASSERT_TRUE(client.push("w", 0, 0, 0, 1, {1}).status.ok());
  ASSERT_TRUE(client.push("w", 0, 0, 1, 2, {10}).status.ok());  // version 2: a save is due, and fails
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while (server.process.log_tail().find("next checkpoint attempt in") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  const std::string failure_log = server.process.log_tail();
  ASSERT_NE(failure_log.find("checkpoint failed (steps) to " + dir.file_uri() + "/shard-0: "), std::string::npos)
      << failure_log;
  // Storage that stays broken is not retried at once: the first backoff is 1 s.
  EXPECT_NE(failure_log.find("next checkpoint attempt in 1 s at the earliest"), std::string::npos) << failure_log;
  // Repair the storage. One more version (3) is 3 past the last committed checkpoint (none): due.
  std::filesystem::remove(shard_dir);
  ASSERT_TRUE(client.push("w", 0, 0, 2, 3, {100}).status.ok());
  EXPECT_TRUE(wait_durable(client, "w", 0, 2, 3, {100})) << server.process.log_tail();
}

// A checkpoint holds state that only means something under the settings it was made with: a
// restart with another consistency mode, staleness bound or sync aggregation is refused, naming
// both values and how to start.
TEST(Checkpoints, ARestartWithAnotherModeOrAggregationFailsClearly) {
  TempDir sync_dir;
  {
    RunningServer server({"--mode", "sync", "--aggregate", "sum", "--checkpoint", sync_dir.file_uri()});
    ASSERT_TRUE(server.client->declare(dense_declare("w", {1})).ok());
    ASSERT_EQ(server.process.stop(SIGTERM), 0);
  }
  const BinaryRun mode = run_server_binary({"--listen", "127.0.0.1:0", "--mode", "async", "--checkpoint", sync_dir.file_uri()});
  EXPECT_EQ(mode.exit_code, 1) << mode.output;
  EXPECT_NE(mode.output.find("made in mode sync, but --mode is async"), std::string::npos) << mode.output;
  EXPECT_NE(mode.output.find("restart with --mode sync or use a fresh checkpoint URI"), std::string::npos) << mode.output;
  const BinaryRun aggregate = run_server_binary({"--listen", "127.0.0.1:0", "--mode", "sync", "--aggregate", "mean",
                                                 "--checkpoint", sync_dir.file_uri()});
  EXPECT_EQ(aggregate.exit_code, 1) << aggregate.output;
  EXPECT_NE(aggregate.output.find("made with --aggregate sum, but --aggregate is mean"), std::string::npos)
      << aggregate.output;

  TempDir stale_dir;
  {
    RunningServer server({"--mode", "stale", "--staleness", "2", "--checkpoint", stale_dir.file_uri()});
    ASSERT_TRUE(server.client->declare(dense_declare("w", {1})).ok());
    ASSERT_EQ(server.process.stop(SIGTERM), 0);
  }
  const BinaryRun staleness = run_server_binary({"--listen", "127.0.0.1:0", "--mode", "stale", "--staleness", "3",
                                                 "--checkpoint", stale_dir.file_uri()});
  EXPECT_EQ(staleness.exit_code, 1) << staleness.output;
  EXPECT_NE(staleness.output.find("made with --staleness 2, but --staleness is 3"), std::string::npos)
      << staleness.output;
  // The same settings restore.
  RunningServer same({"--mode", "stale", "--staleness", "2", "--checkpoint", stale_dir.file_uri()});
  v1::StatusReply status;
  ASSERT_TRUE(same.client->status(status).ok());
  EXPECT_EQ(status.partitions(), 1u);
}

}  // namespace
}  // namespace ronde::ps::testing

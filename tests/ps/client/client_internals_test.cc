// The client's internal parts on their own: the retained-push log (what is replayed after a server
// restart), the per-tensor job lanes, the backoff, sparse-row grouping, and the mapping of server
// statuses to ronde errors.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "client/job_queue.h"
#include "client/push_record.h"
#include "client/retained_log.h"
#include "client/retry.h"
#include "client/rows.h"
#include "client/thread_pool.h"
#include "common/wire.h"
#include "ronde/core/error.h"

namespace ronde::ps::client {
namespace {

std::shared_ptr<const PushRecord> gradient(const std::string& tensor, std::uint32_t partition, std::int64_t step,
                                           std::uint64_t sequence, std::size_t bytes = 16) {
  static const std::vector<std::byte> zeros(1 << 20);
  PushRecord record;
  record.tensor = tensor;
  record.partition = partition;
  record.step = step;
  record.sequence = sequence;
  record.values = std::span<const std::byte>(zeros.data(), bytes);
  return record.owned();
}

TEST(RetainedLog, TrimDropsWhatTheCheckpointHolds) {
  RetainedLog log(1 << 20);
  for (std::uint64_t s = 1; s <= 5; ++s) log.add(gradient("w", 0, static_cast<std::int64_t>(s - 1), s));
  log.add(gradient("w", 1, 0, 1));
  EXPECT_EQ(log.size(), 6u);
  log.trim(*gradient("w", 0, 0, 0), 3);  // partition 0's sequences <= 3 are durable
  EXPECT_EQ(log.size(), 3u);
  const auto order = log.in_replay_order();
  ASSERT_EQ(order.size(), 3u);
  EXPECT_EQ(order[0]->partition, 1u);  // step 0 first
  EXPECT_EQ(order[1]->sequence, 4u);
  EXPECT_EQ(order[2]->sequence, 5u);
}

TEST(RetainedLog, InitialValuesReplayFirstAndGoOnceACheckpointHoldsThePartition) {
  RetainedLog log(1 << 20);
  log.add(gradient("w", 0, 0, 1));
  PushRecord initial;
  initial.tensor = "w";
  initial.kind = v1::INITIAL;
  log.add(initial.owned());
  auto order = log.in_replay_order();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0]->kind, v1::INITIAL);
  log.trim(initial, 0);
  EXPECT_EQ(log.size(), 2u);
  log.trim(initial, 1);
  EXPECT_EQ(log.size(), 0u);
}

TEST(RetainedLog, ReplayOrderIsByStepThenTensor) {
  RetainedLog log(1 << 20);
  log.add(gradient("b", 0, 1, 2));
  log.add(gradient("a", 0, 1, 2));
  log.add(gradient("b", 0, 0, 1));
  log.add(gradient("a", 1, 0, 1));
  const auto order = log.in_replay_order();
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(std::make_pair(order[0]->tensor, order[0]->step), std::make_pair(std::string("a"), std::int64_t{0}));
  EXPECT_EQ(std::make_pair(order[1]->tensor, order[1]->step), std::make_pair(std::string("b"), std::int64_t{0}));
  EXPECT_EQ(std::make_pair(order[2]->tensor, order[2]->step), std::make_pair(std::string("a"), std::int64_t{1}));
  EXPECT_EQ(std::make_pair(order[3]->tensor, order[3]->step), std::make_pair(std::string("b"), std::int64_t{1}));
}

TEST(RetainedLog, AnAcknowledgementSeenTwiceIsKeptOnce) {
  RetainedLog log(1 << 20);
  log.add(gradient("w", 0, 0, 1));
  log.add(gradient("w", 0, 0, 1));
  EXPECT_EQ(log.size(), 1u);
  EXPECT_EQ(log.bytes(), 16u);
}

TEST(RetainedLog, TheBoundDropsTheOldest) {
  RetainedLog log(100);
  EXPECT_TRUE(log.add(gradient("w", 0, 0, 1, 40)));
  EXPECT_TRUE(log.add(gradient("v", 0, 0, 1, 40)));
  EXPECT_FALSE(log.add(gradient("w", 0, 1, 2, 40)));  // 120 > 100: the oldest ("w" seq 1) goes
  EXPECT_EQ(log.bytes(), 80u);
  const auto order = log.in_replay_order();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0]->tensor, "v");
  EXPECT_EQ(order[1]->sequence, 2u);
}

TEST(PushRecord, OwnedCopiesViewedBytes) {
  std::vector<float> values = {1, 2, 3};
  std::vector<std::int64_t> ids = {7};
  PushRecord record;
  record.tensor = "t";
  record.ids = ids;
  record.values = std::as_bytes(std::span<float>(values));
  const auto copy = record.owned();
  values[0] = 99;
  ids[0] = 8;
  EXPECT_EQ(reinterpret_cast<const float*>(copy->values.data())[0], 1.0f);
  EXPECT_EQ(copy->ids[0], 7);
  EXPECT_EQ(copy->owned().get()->values.data(), copy->values.data());  // already owned: shared
}

TEST(JobQueue, OneLaneRunsInOrderAndPhasesInSequence) {
  ThreadPool pool(3);
  JobQueue jobs(pool);
  std::mutex mutex;
  std::vector<std::string> events;
  auto record = [&](std::string event) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
  };
  std::vector<std::future<void>> futures;
  for (int job = 0; job < 3; ++job) {
    Phase first = [&, job] {
      std::vector<Task> tasks;
      for (int t = 0; t < 4; ++t) {
        tasks.push_back([&, job] {
          std::this_thread::sleep_for(std::chrono::milliseconds(2));
          record("job" + std::to_string(job) + ".a");
        });
      }
      return tasks;
    };
    Phase second = [&, job] { return std::vector<Task>{[&, job] { record("job" + std::to_string(job) + ".b"); }}; };
    futures.push_back(jobs.submit("lane", {first, second}));
  }
  for (auto& future : futures) future.get();
  ASSERT_EQ(events.size(), 15u);
  for (int job = 0; job < 3; ++job) {
    for (int t = 0; t < 4; ++t) EXPECT_EQ(events[static_cast<std::size_t>(job * 5 + t)], "job" + std::to_string(job) + ".a");
    EXPECT_EQ(events[static_cast<std::size_t>(job * 5 + 4)], "job" + std::to_string(job) + ".b");
  }
}

TEST(JobQueue, AFailureEndsTheJobAndTheLaneGoesOn) {
  ThreadPool pool(2);
  JobQueue jobs(pool);
  std::atomic<bool> second_phase_ran{false};
  auto failing = jobs.submit("lane", {[] { return std::vector<Task>{[] { throw std::runtime_error("partition 3 failed"); }}; },
                                      [&] {
                                        second_phase_ran = true;
                                        return std::vector<Task>{};
                                      }});
  auto next = jobs.submit("lane", {[] { return std::vector<Task>{[] {}}; }});
  EXPECT_THROW(failing.get(), std::runtime_error);
  next.get();
  EXPECT_FALSE(second_phase_ran.load());
}

TEST(JobQueue, LanesRunConcurrently) {
  ThreadPool pool(2);
  JobQueue jobs(pool);
  std::promise<void> release;
  auto blocked = release.get_future().share();
  auto waiting = jobs.submit("a", {[blocked] { return std::vector<Task>{[blocked] { blocked.wait(); }}; }});
  auto other = jobs.submit("b", {[] { return std::vector<Task>{[] {}}; }});
  other.get();  // lane b finished while lane a is still blocked
  release.set_value();
  waiting.get();
}

TEST(ThreadPool, WaitingTasksNeverQueueBehindEachOther) {
  ThreadPool pool(1);
  std::promise<void> second_ran;
  auto second = second_ran.get_future().share();
  std::atomic<bool> first_done{false};
  // The first waiting task blocks until the second has run: with one shared thread, a deadlock.
  pool.submit([&, second] {
    second.wait();
    first_done = true;
  }, true);
  pool.submit([&] { second_ran.set_value(); }, true);
  pool.drain();
  EXPECT_TRUE(first_done.load());
}

TEST(Backoff, StopsWhenTheBudgetIsSpent) {
  Backoff backoff(std::chrono::milliseconds(1), std::chrono::milliseconds(4), std::chrono::milliseconds(30));
  int waits = 0;
  while (backoff.wait()) ++waits;
  EXPECT_GT(waits, 3);
  EXPECT_EQ(backoff.failures(), waits + 1);
  Backoff none(std::chrono::milliseconds(1), std::chrono::milliseconds(4), std::chrono::milliseconds(0));
  EXPECT_FALSE(none.wait());
}

TEST(Retry, OnlyUnavailableOtherThanAHandshakeIsRetried) {
  EXPECT_TRUE(is_retryable(grpc::Status(grpc::StatusCode::UNAVAILABLE, "Connection refused")));
  EXPECT_TRUE(is_retryable(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                        "failed to connect to all addresses; last error: UNKNOWN: "
                                        "ipv4:127.0.0.1:1: tcp handshaker shutdown")));
  EXPECT_FALSE(is_retryable(grpc::Status(grpc::StatusCode::UNAVAILABLE, "Ssl handshake failed: SSL_ERROR_SSL")));
  EXPECT_FALSE(is_retryable(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad shape")));
  EXPECT_FALSE(is_retryable(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "late")));
  EXPECT_FALSE(is_retryable(grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "wrong bearer token")));
}

TEST(Rows, GroupedByServerWithDuplicatesPulledOnce) {
  const ShardMap map(3, 1024);
  const std::vector<std::int64_t> ids = {5, 17, 5, -2, 1000, 17};
  const auto requests = group_rows(map, "emb", ids);
  ASSERT_EQ(requests.size(), 3u);
  std::vector<int> seen(ids.size(), 0);
  std::size_t distinct = 0;
  for (std::uint32_t s = 0; s < 3; ++s) {
    for (std::size_t i = 0; i < requests[s].ids.size(); ++i) {
      ++distinct;
      EXPECT_EQ(map.server_of_row("emb", requests[s].ids[i]), s);
      for (const auto position : requests[s].positions[i]) {
        EXPECT_EQ(ids[position], requests[s].ids[i]);
        ++seen[position];
      }
    }
  }
  EXPECT_EQ(distinct, 4u);
  for (const int count : seen) EXPECT_EQ(count, 1);
}

TEST(Rows, GatheredPerServerInTheCallersOrder) {
  const ShardMap map(2, 1024);
  const std::vector<std::int64_t> ids = {1, 2, 3, 4, 5, 6};
  std::vector<float> rows(12);
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i);
  const auto batches = gather_rows(map, "t", ids, reinterpret_cast<const std::byte*>(rows.data()), 2 * sizeof(float));
  ASSERT_EQ(batches.size(), 2u);
  std::size_t total = 0;
  for (std::uint32_t s = 0; s < 2; ++s) {
    const auto& batch = *batches[s];
    total += batch.ids.size();
    ASSERT_EQ(batch.values.size(), batch.ids.size() * 2 * sizeof(float));
    for (std::size_t i = 0; i < batch.ids.size(); ++i) {
      EXPECT_EQ(map.server_of_row("t", batch.ids[i]), s);
      const float* row = reinterpret_cast<const float*>(batch.values.data()) + 2 * i;
      EXPECT_EQ(row[0], static_cast<float>(2 * (batch.ids[i] - 1)));
      if (i > 0) {
        EXPECT_LT(batch.ids[i - 1], batch.ids[i]);
      }
    }
  }
  EXPECT_EQ(total, ids.size());
}

}  // namespace
}  // namespace ronde::ps::client

namespace ronde::ps {
namespace {

// Every gRPC status the servers send maps to the ronde::ErrorCode the client's documentation
// promises, and the message names the call and the server.
TEST(WireErrors, ServerStatusesMapToTheDocumentedErrorCodes) {
  const std::vector<std::pair<grpc::StatusCode, ErrorCode>> cases = {
      {grpc::StatusCode::INVALID_ARGUMENT, ErrorCode::InvalidArgument},
      {grpc::StatusCode::FAILED_PRECONDITION, ErrorCode::InvalidArgument},
      {grpc::StatusCode::NOT_FOUND, ErrorCode::NotFound},
      {grpc::StatusCode::UNAUTHENTICATED, ErrorCode::Unauthenticated},
      {grpc::StatusCode::PERMISSION_DENIED, ErrorCode::Unauthenticated},
      {grpc::StatusCode::DEADLINE_EXCEEDED, ErrorCode::Timeout},
      {grpc::StatusCode::UNAVAILABLE, ErrorCode::Unavailable},
      {grpc::StatusCode::CANCELLED, ErrorCode::Cancelled},
      {grpc::StatusCode::RESOURCE_EXHAUSTED, ErrorCode::ResourceExhausted},
      {grpc::StatusCode::INTERNAL, ErrorCode::Internal},
  };
  for (const auto& [status, code] : cases) {
    try {
      wire::throw_if_failed(grpc::Status(status, "the server's words"), "127.0.0.1:7070", "Push of 'w'");
      ADD_FAILURE() << "status " << status << " did not throw";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), code) << "status " << status;
      EXPECT_NE(error.message().find("Push of 'w' on parameter server 127.0.0.1:7070: the server's words"),
                std::string::npos)
          << error.message();
    }
  }
  EXPECT_NO_THROW(wire::throw_if_failed(grpc::Status::OK, "127.0.0.1:7070", "Push of 'w'"));
}

}  // namespace
}  // namespace ronde::ps

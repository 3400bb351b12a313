// Restarts. A server killed with SIGKILL mid-training and restarted on the same port from its last
// checkpoint: the workers' calls fail, they retry until the server is back, see its new
// incarnation, replay the pushes its checkpoint does not hold, and finish; the final values are
// exactly the sums of every push (nothing lost, nothing doubled). And a worker that restarts
// (a new Client) re-declares against the servers' state and carries on from their step.
#include <gtest/gtest.h>

#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <thread>

#include "client_fixture.h"
#include "ronde/core/error.h"
#include "support/temp_dir.h"

namespace ronde::ps::testing {
namespace {

using ronde::testing::TempDir;

float gradient(std::uint32_t worker, int push, std::size_t i) {
  return static_cast<float>((worker + 1) * 10 + (i + static_cast<std::size_t>(push)) % 7);
}

void kill_and_restart(const std::string& mode) {
  const std::uint32_t workers = 2;
  const int pushes = 40;
  const std::size_t elements = 300, partition_bytes = 256;  // 5 partitions over 2 servers
  TempDir checkpoints;
  ServerGroup servers(2, {"--workers", "2", "--mode", mode, "--aggregate", "sum", "--optimizer", "sum",
                          "--checkpoint", checkpoints.path(), "--checkpoint-every-steps", "4"});
  // (--aggregate matters in sync mode only: there each step adds the sum of both workers' pushes.)
  std::atomic<int> done{0};
  std::atomic<bool> finished{false};
  std::atomic<bool> kills_done{false};
  std::thread killer([&] {
    // Kill server 0 twice, a third and two thirds of the way through.
    for (const int at : {pushes * 2 / 3, pushes * 4 / 3}) {
      while (done.load() < at && !finished.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      if (finished.load()) break;
      servers[0].stop(SIGKILL);
      std::this_thread::sleep_for(std::chrono::milliseconds(150));
      servers[0].start();
    }
    kills_done.store(true);
  });
  std::exception_ptr failure;
  try {
    run_workers(workers, [&](std::uint32_t worker) {
      ClientOptions options = client_options(servers.addresses(), worker, workers);
      options.partition_bytes = partition_bytes;
      Client client(options);
      std::vector<float> values(elements, 0.0f), grad(elements);
      client.declare("w", Tensor::of(values)).get();
      for (int k = 0; k < pushes; ++k) {
        for (std::size_t i = 0; i < elements; ++i) grad[i] = gradient(worker, k, i);
        client.push_pull("w", Tensor::of(grad), Tensor::of(values)).get();
        done.fetch_add(1);
      }
      // THE DOCUMENTED SEMANTICS: a client replays what a restarted server lost only while it is
      // alive to see the restart; pushes of a worker that has gone are safe once a checkpoint (or
      // the graceful shutdown's final one) holds them. So the workers stay until the last restart
      // and then call once more, which finds the new incarnation and replays.
      while (!kills_done.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      client.pull("w", Tensor::of(values)).get();
    });
  } catch (...) {
    failure = std::current_exception();
  }
  finished.store(true);
  killer.join();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& error) {
      FAIL() << error.what() << "\n" << servers.logs();
    }
  }

  ClientOptions options = client_options(servers.addresses(), 0, workers);
  options.partition_bytes = partition_bytes;
  Client observer(options);
  std::vector<float> values(elements, -1.0f);
  observer.declare("w", Tensor::of(values)).get();
  for (std::size_t i = 0; i < elements; ++i) {
    float expected = 0;
    for (std::uint32_t w = 0; w < workers; ++w) {
      for (int k = 0; k < pushes; ++k) expected += gradient(w, k, i);
    }
    ASSERT_EQ(values[i], expected) << "element " << i << "\n" << servers.logs();
  }
}

TEST(ClientRestart, ServerKilledAndRestartedFromCheckpointAsync) { kill_and_restart("async"); }

TEST(ClientRestart, ServerKilledAndRestartedFromCheckpointSync) { kill_and_restart("sync"); }

TEST(ClientRestart, WorkerRestartContinuesFromTheServersStep) {
  const std::uint32_t workers = 2;
  const int steps = 8;
  ServerGroup servers(1, {"--workers", "2", "--mode", "sync", "--aggregate", "sum", "--optimizer", "sum"});
  auto grad_of = [](std::uint32_t worker, std::int64_t step) { return static_cast<float>((worker + 1) * 100 + step); };
  run_workers(workers, [&](std::uint32_t worker) {
    std::vector<float> values(4, 0.0f), grad(4);
    auto client = std::make_unique<Client>(client_options(servers.addresses(), worker, workers));
    client->declare("w", Tensor::of(values)).get();
    for (std::int64_t step = 0; step < steps; ++step) {
      if (worker == 1 && step == 3) {
        // Worker 1 restarts: a new client re-declares and continues from the servers' step (its
        // push of a step the server already took is recognised by its sequence).
        client.reset();
        client = std::make_unique<Client>(client_options(servers.addresses(), worker, workers));
        client->declare("w", Tensor::of(values)).get();
        EXPECT_EQ(client->step("w"), 3);
      }
      std::fill(grad.begin(), grad.end(), grad_of(worker, client->step("w")));
      client->push_pull("w", Tensor::of(grad), Tensor::of(values)).get();
    }
    float expected = 0;
    for (std::int64_t step = 0; step < steps; ++step) expected += grad_of(0, step) + grad_of(1, step);
    EXPECT_EQ(values, std::vector<float>(4, expected)) << "worker " << worker << "\n" << servers.logs();
  });
}

// A replay that cannot finish does not block the calls behind it: worker 0's replayed push of step 1
// waits for worker 1's replay of step 0, and worker 1 makes no call. Worker 0's calls to the
// restarted server (the one running the replay and the one waiting for it) fail within their own
// deadlines (call_timeout), with Error(Timeout) naming the server, instead of waiting for the
// replay's pushes (wait_timeout each). Once worker 1 calls again, both replays finish and the
// values are exact.
TEST(ClientRestart, AReplayThatCannotFinishFailsTheCallsWithinTheirDeadlines) {
  using namespace std::chrono_literals;
  TempDir checkpoints;
  ServerGroup servers(1, {"--workers", "2", "--mode", "sync", "--aggregate", "sum", "--optimizer", "sum",
                          "--checkpoint", checkpoints.path(), "--checkpoint-every-steps", "1000"});
  ClientOptions options0 = client_options(servers.addresses(), 0, 2);
  options0.call_timeout = 1500ms;
  options0.wait_timeout = 30s;
  Client w0(options0);
  Client w1(client_options(servers.addresses(), 1, 2));
  std::vector<float> values0 = {1, 1}, values1(2, 0.0f);
  w0.declare("w", Tensor::of(values0)).get();
  w1.declare("w", Tensor::of(values1)).get();
  std::vector<float> g0 = {1, 2}, g1 = {10, 20};
  w0.push("w", Tensor::of(g0)).get();
  w1.push("w", Tensor::of(g1)).get();  // step 0 complete
  w0.push("w", Tensor::of(g0)).get();  // worker 0's half of step 1: acknowledged, not durable
  const std::string address = servers[0].address();
  servers[0].stop(SIGKILL);
  servers[0].start();  // from no checkpoint: the clients must replay everything

  std::vector<float> v(1, 0.0f), u(1, 0.0f);
  const auto started = std::chrono::steady_clock::now();
  auto first = w0.declare("v", Tensor::of(v));  // finds the restart and replays
  std::this_thread::sleep_for(200ms);
  auto second = w0.declare("u", Tensor::of(u));  // waits for that replay
  for (auto* future : {&first, &second}) {
    try {
      future->get();
      ADD_FAILURE() << "a call behind an unfinishable replay succeeded";
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::Timeout) << error.message();
      EXPECT_NE(error.message().find(address), std::string::npos) << error.message();
    }
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, 8s) << "the calls waited for the replay's pushes, not their own deadlines\n" << servers.logs();

  // Worker 0's next call resumes its replay where the timed-out one stopped: the Declare and the
  // pushes (initial values, step 0) the restarted server acknowledged are not sent again.
  ::testing::internal::CaptureStderr();
  run_workers(2, [&](std::uint32_t worker) {
    if (worker == 0) w0.pull("w", Tensor::of(values0)).get();  // step 2, after both replays
    else w1.push_pull("w", Tensor::of(g1), Tensor::of(values1)).get();  // worker 1's step 1
  });
  const std::string client_log = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(client_log.find("resuming the replay to parameter server " + address), std::string::npos) << client_log;
  EXPECT_NE(client_log.find(": 0 declares and 1 pushes left, 3 acknowledged before"), std::string::npos) << client_log;
  EXPECT_EQ(values0, std::vector<float>({23, 45})) << servers.logs();
  EXPECT_EQ(values1, values0);
}

// A server that comes back in another consistency mode (a fresh one: its own checkpoints would
// refuse the change) is refused by the client, naming both modes, not trusted silently.
TEST(ClientRestart, AServerBackInAnotherModeIsRefusedNamingBothModes) {
  ServerGroup servers(1, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  Client client(client_options(servers.addresses(), 0, 1));
  std::vector<float> w = {1, 2};
  client.declare("w", Tensor::of(w)).get();
  servers[0].stop(SIGKILL);
  auto& arguments = servers[0].arguments();
  std::replace(arguments.begin(), arguments.end(), std::string("async"), std::string("sync"));
  servers[0].start();
  try {
    client.pull("w", Tensor::of(w)).get();
    ADD_FAILURE() << "a server back in another mode was trusted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << error.message();
    EXPECT_NE(error.message().find("restarted in consistency mode sync, but it was in mode async before"),
              std::string::npos)
        << error.message();
  }
}

}  // namespace
}  // namespace ronde::ps::testing

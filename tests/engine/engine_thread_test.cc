// The engine with ranks as threads of one process (tests/support): negotiation in random orders,
// fusion, the response cache, mismatches, stalls, join, compression, shutdown and callbacks.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>

#include "engine/timeline.h"
#include "engine_scenarios.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"
#include "support/thread_transport.h"

namespace ronde::engine_test {
namespace {

using testing::run_ranks;

TEST(EngineThreads, RandomOrderMixedKindsAndDtypesAreExact) {
  for (int size : {1, 2, 3, 4}) {
    SCOPED_TRACE("ranks " + std::to_string(size));
    run_ranks(size, [](Context& context) { random_order(context, test_options(), 240, 1, 11); });
  }
}

TEST(EngineThreads, FusionOnAndOffGiveTheSameResults) {
  std::atomic<std::uint64_t> fused_on{0}, fused_off{0}, collectives_on{0}, collectives_off{0};
  run_ranks(3, [&](Context& context) {
    EngineOptions on = test_options();
    on.fusion_threshold = 64 * 1024;
    const Engine::Stats with = random_order(context, on, 200, 1, 21);
    EngineOptions off = test_options();
    off.fusion_threshold = 0;
    const Engine::Stats without = random_order(context, off, 200, 1, 21);
    if (context.rank() == 0) {
      fused_on = with.fused_tensors;
      fused_off = without.fused_tensors;
      collectives_on = with.collectives;
      collectives_off = without.collectives;
    }
  });
  EXPECT_GT(fused_on.load(), 0u);
  EXPECT_EQ(fused_off.load(), 0u);
  EXPECT_LT(collectives_on.load(), collectives_off.load());
}

TEST(EngineThreads, RepeatedStepsHitTheResponseCache) {
  std::atomic<std::uint64_t> hits{0}, trips{0}, operations{0};
  run_ranks(3, [&](Context& context) {
    const Engine::Stats stats = random_order(context, test_options(), 60, 4, 31);
    if (context.rank() == 1) {
      hits = stats.cache_hits;
      trips = stats.coordinator_round_trips;
      operations = stats.operations;
    }
  });
  EXPECT_EQ(operations.load(), 240u);
  // Steps 2-4 find every name in the cache, unless a rank's late half-step split a name across
  // cycles (then it goes through rank 0 once more).
  EXPECT_GE(hits.load(), 150u);
  EXPECT_LT(trips.load(), 120u);
}

TEST(EngineThreads, CacheCapacityZeroAlwaysNegotiates) {
  std::atomic<std::uint64_t> hits{1};
  run_ranks(2, [&](Context& context) {
    EngineOptions options = test_options();
    options.cache_capacity = 0;
    const Engine::Stats stats = random_order(context, options, 40, 3, 41);
    if (context.rank() == 0) hits = stats.cache_hits;
  });
  EXPECT_EQ(hits.load(), 0u);
}

TEST(EngineThreads, SmallCacheEvictsAndStaysCorrect) {
  run_ranks(3, [&](Context& context) {
    EngineOptions options = test_options();
    options.cache_capacity = 7;
    random_order(context, options, 50, 3, 43);
  });
}

TEST(EngineThreads, ShapeChangeInvalidatesTheCacheOnEveryRank) {
  run_ranks(3, [](Context& context) {
    Engine engine(context, test_options());
    for (int step = 0; step < 6; ++step) {
      const std::size_t count = step < 3 ? 4 : 9;  // new shape from step 3 on
      std::vector<std::int32_t> data(count, context.rank() + step);
      engine.allreduce("w", Tensor::of(data), ReduceOp::Sum);
      const int expected = 3 * step + 3;
      EXPECT_EQ(data[count - 1], expected) << "step " << step;
    }
    EXPECT_GE(engine.stats().cache_hits, 3u);
  });
}

TEST(EngineThreads, CachedNameWithChangedShapeOnOneRankIsAMismatch) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> first(4, 1.0f);
    engine.allreduce("grad/w", Tensor::of(first), ReduceOp::Sum);
    std::vector<float> second(context.rank() == 1 ? 5 : 4, 1.0f);
    const Error error = error_from([&] { engine.allreduce("grad/w", Tensor::of(second), ReduceOp::Sum); });
    EXPECT_EQ(error.code(), ErrorCode::Mismatch);
    EXPECT_NE(error.message().find("tensor 'grad/w': shape differs: rank 0 [4], rank 1 [5]"), std::string::npos)
        << error.what();
  });
}

TEST(EngineThreads, DtypeMismatchNamesEveryRank) {
  run_ranks(2, [](Context& context) {
    std::vector<float> f(3, 1.0f);
    std::vector<double> d(3, 1.0);
    expect_mismatch(context, [&](Engine& engine, int rank) {
      return rank == 0 ? engine.allreduce_async("grad/w", Tensor::of(f), ReduceOp::Sum)
                       : engine.allreduce_async("grad/w", Tensor::of(d), ReduceOp::Sum);
    }, "tensor 'grad/w': dtype differs: rank 0 f32, rank 1 f64");
  });
}

TEST(EngineThreads, ShapeOpAndRootMismatches) {
  run_ranks(3, [](Context& context) {
    std::vector<float> data(context.rank() == 2 ? 6 : 5, 1.0f);
    expect_mismatch(context, [&](Engine& engine, int) {
      return engine.allreduce_async("grad/w", Tensor::of(data), ReduceOp::Sum);
    }, "shape differs: ranks 0, 1 [5], rank 2 [6]");
  });
  run_ranks(2, [](Context& context) {
    std::vector<float> data(5, 1.0f);
    expect_mismatch(context, [&](Engine& engine, int rank) {
      return engine.allreduce_async("grad/w", Tensor::of(data), rank == 0 ? ReduceOp::Sum : ReduceOp::Max);
    }, "reduce op differs: rank 0 sum, rank 1 max");
  });
  run_ranks(2, [](Context& context) {
    std::vector<float> data(5, 1.0f);
    expect_mismatch(context, [&](Engine& engine, int rank) {
      return engine.broadcast_async("grad/w", Tensor::of(data), rank);
    }, "root differs: rank 0 0, rank 1 1");
  });
  run_ranks(2, [](Context& context) {
    std::vector<float> data(5, 1.0f);
    expect_mismatch(context, [&](Engine& engine, int rank) {
      return rank == 0 ? engine.broadcast_async("grad/w", Tensor::of(data), 0)
                       : engine.allreduce_async("grad/w", Tensor::of(data), ReduceOp::Sum);
    }, "operation differs: rank 0 broadcast, rank 1 allreduce");
  });
}

TEST(EngineThreads, MissingNameTimesOutOnTheOtherRanksAndWarns) {
  std::vector<std::ostringstream> logs;
  run_ranks(3, logs, [](Context& context) { missing_name(context, 1); });
  const std::string log = logs[0].str();
  EXPECT_NE(log.find("tensor 'lonely' has waited"), std::string::npos) << log;
  EXPECT_NE(log.find("for rank 1 (ready on ranks 0, 2)"), std::string::npos) << log;
  EXPECT_TRUE(logs[1].str().empty()) << "only rank 0 inspects stalls";
}

TEST(EngineThreads, JoinWithUnevenBatchCounts) {
  for (int size : {2, 3, 4}) {
    SCOPED_TRACE("ranks " + std::to_string(size));
    run_ranks(size, [](Context& context) { join_uneven(context, test_options()); });
  }
  // Without the cache, and without fusion.
  run_ranks(3, [](Context& context) {
    EngineOptions options = test_options();
    options.cache_capacity = 0;
    options.fusion_threshold = 0;
    join_uneven(context, options);
  });
}

TEST(EngineThreads, AllgatherWhileARankHasJoinedFailsNamingIt) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    if (context.rank() == 1) {
      EXPECT_EQ(engine.join(), 0);
      return;
    }
    std::vector<float> rows(4, 1.0f);
    const Tensor input(rows.data(), DType::F32, {2, 2});
    const Error error = error_from([&] {
      engine.allgather_async("g", input, [](const std::vector<std::int64_t>&) { return Tensor(); }).wait();
    });
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(error.message().find("rank 1 joined"), std::string::npos) << error.what();
    EXPECT_EQ(engine.join(), 0);
  });
}

void compression_case(Compression compression, double tolerance) {
  run_ranks(3, [&](Context& context) {
    EngineOptions options = test_options();
    options.compression = compression;
    Engine engine(context, options);
    std::mt19937 random(static_cast<unsigned>(context.rank()) + 5);
    std::vector<std::vector<float>> inputs(6);
    std::vector<Handle> handles;
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      inputs[t].resize(100 + t * 37);
      for (float& x : inputs[t]) x = std::uniform_real_distribution<float>(-1, 1)(random);
    }
    std::vector<std::vector<float>> outputs = inputs;
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      handles.push_back(engine.allreduce_async("c" + std::to_string(t), Tensor::of(inputs[t]), Tensor::of(outputs[t]),
                                               t % 2 ? ReduceOp::Average : ReduceOp::Sum));
    }
    for (Handle& h : handles) h.wait();
    // Reference: every rank's data regenerated here.
    for (std::size_t t = 0; t < inputs.size(); ++t) {
      std::vector<double> expected(inputs[t].size(), 0.0);
      for (int r = 0; r < context.size(); ++r) {
        std::mt19937 other(static_cast<unsigned>(r) + 5);
        for (std::size_t u = 0; u < inputs.size(); ++u) {
          for (std::size_t j = 0; j < 100 + u * 37; ++j) {
            const float x = std::uniform_real_distribution<float>(-1, 1)(other);
            if (u == t) expected[j] += x;
          }
        }
      }
      double worst = 0, changed = 0;
      for (std::size_t j = 0; j < expected.size(); ++j) {
        const double want = t % 2 ? expected[j] / context.size() : expected[j];
        worst = std::max(worst, std::abs(outputs[t][j] - want));
        changed = std::max(changed, std::abs(static_cast<double>(outputs[t][j]) - static_cast<float>(want)));
      }
      EXPECT_LT(worst, tolerance) << "tensor " << t;
      EXPECT_GT(changed, 0.0) << "the values should show the 16-bit rounding";
    }
  });
}

TEST(EngineThreads, Float16CompressionIsWithinTolerance) { compression_case(Compression::Float16, 3 * 4e-3); }
TEST(EngineThreads, BFloat16CompressionIsWithinTolerance) { compression_case(Compression::BFloat16, 3 * 3e-2); }

TEST(EngineThreads, PerCallCompressionOverridesTheDefault) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> exact(8, 1.0f / 3.0f), compressed(8, 1.0f / 3.0f);
    Handle a = engine.allreduce_async("exact", Tensor::of(exact), ReduceOp::Sum);
    CallOptions call;
    call.compression = Compression::BFloat16;
    Handle b = engine.allreduce_async("compressed", Tensor::of(compressed), ReduceOp::Sum, call);
    a.wait();
    b.wait();
    EXPECT_EQ(exact[0], 2.0f / 3.0f);
    EXPECT_NE(compressed[0], exact[0]);
    EXPECT_NEAR(compressed[0], exact[0], 1e-2);
  });
}

TEST(EngineThreads, ShutdownCancelsPendingHandlesAndLaterEnqueues) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> both(3, 1.0f), mine(3, 1.0f);
    Handle common = engine.allreduce_async("both", Tensor::of(both), ReduceOp::Sum);
    common.wait();
    Handle only_here;
    if (context.rank() == 0) only_here = engine.allreduce_async("rank0-only", Tensor::of(mine), ReduceOp::Sum);
    engine.shutdown();
    if (context.rank() == 0) {
      const Error error = error_from([&] { only_here.wait(); });
      EXPECT_EQ(error.code(), ErrorCode::Cancelled);
      EXPECT_NE(error.message().find("rank0-only"), std::string::npos) << error.what();
    }
    const Error later = error_from([&] { engine.allreduce("late", Tensor::of(mine), ReduceOp::Sum); });
    EXPECT_EQ(later.code(), ErrorCode::Cancelled);
    engine.shutdown();  // again: returns at once
  });
}

TEST(EngineThreads, OneRankShuttingDownStopsEveryRank) {
  run_ranks(3, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> data(3, 1.0f);
    if (context.rank() == 2) {
      engine.shutdown();
      return;
    }
    // Never submitted by rank 2: cancelled rather than hanging.
    const Error error = error_from([&] { engine.allreduce("never", Tensor::of(data), ReduceOp::Sum); });
    EXPECT_EQ(error.code(), ErrorCode::Cancelled);
  });
}

TEST(EngineThreads, DuplicatePendingNameIsInvalidArgument) {
  std::promise<void> tried;
  std::shared_future<void> done = tried.get_future().share();
  run_ranks(2, [&](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> data(3, 1.0f), other(3, 1.0f);
    if (context.rank() == 1) done.wait();  // rank 0's "x" stays pending until rank 1 enqueues it
    Handle h = engine.allreduce_async("x", Tensor::of(data), ReduceOp::Sum);
    if (context.rank() == 0) {
      const Error error = error_from([&] { engine.allreduce_async("x", Tensor::of(other), ReduceOp::Sum); });
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(error.message().find("'x' is already pending"), std::string::npos) << error.what();
      tried.set_value();
    }
    h.wait();
    EXPECT_EQ(data[0], 2.0f);
    engine.allreduce("x", Tensor::of(data), ReduceOp::Sum);  // allowed again after completion
    EXPECT_EQ(data[0], 4.0f);
  });
}

TEST(EngineThreads, CallbacksRunOnceWithTheOutcome) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> data(4, 1.0f);
    std::promise<std::string> outcome;
    std::atomic<int> calls{0};
    CallOptions call;
    call.on_complete = [&](const Error* error) {
      calls += 1;
      outcome.set_value(error ? error->what() : "ok");
    };
    Handle h = engine.allreduce_async("cb", Tensor::of(data), ReduceOp::Sum, call);
    EXPECT_EQ(outcome.get_future().get(), "ok");
    h.wait();
    EXPECT_EQ(calls.load(), 1);
    // A failing operation: the callback gets the error; it may enqueue again from the engine's thread.
    std::vector<double> wrong(4, 1.0);
    std::promise<ErrorCode> failed;
    std::promise<Handle> again;
    CallOptions failing;
    failing.on_complete = [&](const Error* error) {
      failed.set_value(error ? error->code() : ErrorCode::Internal);
      again.set_value(engine.allreduce_async("cb2", Tensor::of(data), ReduceOp::Sum));
    };
    Handle bad = context.rank() == 0 ? engine.allreduce_async("cb", Tensor::of(data), ReduceOp::Sum, failing)
                                     : engine.allreduce_async("cb", Tensor::of(wrong), ReduceOp::Sum, failing);
    EXPECT_EQ(failed.get_future().get(), ErrorCode::Mismatch);
    again.get_future().get().wait();
    EXPECT_EQ(data[0], 4.0f);
  });
}

TEST(EngineThreads, CollectiveErrorOnOneRankReachesTheOthers) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> rows(4, 1.0f);
    const Tensor input(rows.data(), DType::F32, {2, 2});
    const Error error = error_from([&] {
      engine.allgather_async("g", input, [&](const std::vector<std::int64_t>&) -> Tensor {
        if (context.rank() == 1) throw Error(ErrorCode::InvalidArgument, "no memory for you");
        static thread_local std::vector<float> out;
        out.assign(8, 0.0f);
        return Tensor(out.data(), DType::F32, {4, 2});
      }).wait();
    });
    if (context.rank() == 1) {
      EXPECT_NE(error.message().find("no memory for you"), std::string::npos) << error.what();
    } else {
      EXPECT_EQ(error.code(), ErrorCode::Mismatch) << error.what();
    }
  });
}

TEST(EngineThreads, ArgumentErrorsThrowAtEnqueue) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<float> a(4), b(5);
    EXPECT_EQ(error_from([&] { engine.allreduce_async("e", Tensor::of(a), Tensor::of(b), ReduceOp::Sum); }).code(),
              ErrorCode::InvalidArgument);
    EXPECT_EQ(error_from([&] { engine.broadcast_async("e", Tensor::of(a), 7); }).code(), ErrorCode::InvalidArgument);
    std::vector<std::int32_t> ints(3);
    CallOptions scaled;
    scaled.scale.prescale = 2.0;
    EXPECT_EQ(error_from([&] { engine.allreduce_async("e", Tensor::of(ints), ReduceOp::Sum, scaled); }).code(),
              ErrorCode::InvalidArgument);
  });
}

TEST(EngineThreads, ScaleFactorsApply) {
  run_ranks(2, [](Context& context) {
    Engine engine(context, test_options());
    std::vector<double> data(6, 3.0);
    CallOptions call;
    call.scale = {0.5, 4.0};
    engine.allreduce("s", Tensor::of(data), ReduceOp::Sum, call);
    EXPECT_EQ(data[5], 12.0);  // 4 * (1.5 + 1.5)
  });
}

TEST(EngineThreads, OptionsFromEnvironment) {
  const MapEnvironment env({{"RONDE_FUSION_THRESHOLD", "2M"}, {"RONDE_CYCLE_TIME_MS", "2.5"},
                            {"RONDE_CACHE_CAPACITY", "17"}, {"RONDE_STALL_CHECK_SECONDS", "9"},
                            {"RONDE_STALL_SHUTDOWN_SECONDS", "30"}, {"RONDE_TIMELINE", "/tmp/t-%r.json"},
                            {"RONDE_COMPRESSION", "bf16"}, {"RONDE_RING_SEGMENT_BYTES", "4K"}});
  const EngineOptions options = EngineOptions::from_env(env);
  EXPECT_EQ(options.fusion_threshold, 2u << 20);
  EXPECT_EQ(options.cycle_time, std::chrono::microseconds(2500));
  EXPECT_EQ(options.cache_capacity, 17u);
  EXPECT_EQ(options.stall_check, std::chrono::seconds(9));
  EXPECT_EQ(options.stall_shutdown, std::chrono::seconds(30));
  EXPECT_EQ(options.timeline_path, "/tmp/t-%r.json");
  EXPECT_EQ(options.compression, Compression::BFloat16);
  EXPECT_EQ(options.collectives.segment_bytes, 4096u);
  EXPECT_EQ(EngineOptions::from_env(testing::env_of({{"RONDE_COMPRESSION", "fp16"}})).compression, Compression::Float16);
  EXPECT_EQ(error_from([] { EngineOptions::from_env(testing::env_of({{"RONDE_COMPRESSION", "zip"}})); }).code(),
            ErrorCode::InvalidArgument);
  EXPECT_EQ(error_from([] { EngineOptions::from_env(testing::env_of({{"RONDE_CACHE_CAPACITY", "-1"}})); }).code(),
            ErrorCode::InvalidArgument);
}

TEST(EngineThreads, TimelineRecordsThePhases) {
  const std::string path = ::testing::TempDir() + "engine-timeline-%r.json";
  run_ranks(2, [&](Context& context) {
    EngineOptions options = test_options();
    options.timeline_path = path;
    Engine engine(context, options);
    std::vector<float> a(10, 1.0f), b(10, 1.0f);
    Handle ha = engine.allreduce_async("tl/a", Tensor::of(a), ReduceOp::Sum);
    Handle hb = engine.allreduce_async("tl/b", Tensor::of(b), ReduceOp::Sum);
    ha.wait();
    hb.wait();
  });
  for (int rank : {0, 1}) {
    std::ifstream file(Timeline::path_for_rank(path, rank));
    std::stringstream text;
    text << file.rdbuf();
    for (const char* phase : {"NEGOTIATE", "QUEUE", "ALLREDUCE", "tl/a"}) {
      EXPECT_NE(text.str().find(phase), std::string::npos) << phase << " missing on rank " << rank;
    }
    if (rank == 0) EXPECT_NE(text.str().find("ready rank 1"), std::string::npos);
  }
}

}  // namespace
}  // namespace ronde::engine_test

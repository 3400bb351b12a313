// The engine's Chrome-trace timeline: events from several threads, the file parsed back as JSON,
// phases nested per tensor row, metadata rows, escaping, the readable prefix of an unfinished
// file, and path errors.
#include "engine/timeline.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>


#include "ronde/allreduce/engine.h"
#include "ronde/core/error.h"
#include "support/temp_dir.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"

namespace ronde {
namespace {

using nlohmann::json;

// File names in a fresh temporary directory, removed at the end of the test.
class TimelineTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return dir_.file(name); }

  static std::string read(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  const ronde::testing::TempDir dir_{"timeline"};
};

// The row (tid) each tensor name got, from the thread_name metadata; fails on a duplicate.
std::map<std::string, int> rows_of(const json& events) {
  std::map<std::string, int> rows;
  for (const auto& event : events) {
    if (event["ph"] == "M" && event["name"] == "thread_name") {
      const std::string name = event["args"]["name"];
      EXPECT_FALSE(rows.count(name)) << "two rows for " << name;
      rows[name] = event["tid"];
    }
  }
  return rows;
}

// Checks that on every row B/E events nest (each E closes the latest open B of the same name),
// timestamps never go back, and nothing is left open.
void expect_nested(const json& events) {
  std::map<int, std::vector<std::string>> open;
  std::map<int, std::int64_t> last_ts;
  for (const auto& event : events) {
    const std::string ph = event["ph"];
    if (ph == "M") continue;
    const int tid = event["tid"];
    const std::int64_t ts = event["ts"];
    EXPECT_GE(ts, last_ts[tid]) << event.dump();
    last_ts[tid] = ts;
    if (ph == "B") {
      open[tid].push_back(event["name"]);
    } else if (ph == "E") {
      ASSERT_FALSE(open[tid].empty()) << "E without B: " << event.dump();
      EXPECT_EQ(open[tid].back(), event["name"].get<std::string>());
      open[tid].pop_back();
    } else {
      EXPECT_EQ(ph, "i");
      EXPECT_EQ(event["s"], "t");
    }
  }
  for (const auto& [tid, stack] : open) EXPECT_TRUE(stack.empty()) << "row " << tid << " left open";
}

TEST_F(TimelineTest, EventsFromSeveralThreadsNestPerTensorRow) {
  const std::string file = path("trace.json");
  constexpr int kThreads = 4, kTensorsPerThread = 5, kSteps = 20;
  {
    Timeline timeline(file, 3);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&timeline, t] {
        for (int step = 0; step < kSteps; ++step) {
          for (int k = 0; k < kTensorsPerThread; ++k) {
            const std::string tensor = "grad/layer" + std::to_string(t) + "." + std::to_string(k);
            timeline.begin(tensor, "NEGOTIATE");
            timeline.instant(tensor, "rank 1 ready", "step " + std::to_string(step));
            timeline.end(tensor, "NEGOTIATE");
            timeline.begin(tensor, "ALLREDUCE", "4096 bytes");
            timeline.begin(tensor, "MEMCPY_IN_FUSION_BUFFER");
            timeline.end(tensor, "MEMCPY_IN_FUSION_BUFFER");
            timeline.end(tensor, "ALLREDUCE");
          }
        }
      });
    }
    for (auto& thread : threads) thread.join();
  }
  const json events = json::parse(read(file));
  ASSERT_TRUE(events.is_array());
  // The process row first, named after the rank.
  EXPECT_EQ(events[0]["ph"], "M");
  EXPECT_EQ(events[0]["name"], "process_name");
  EXPECT_EQ(events[0]["args"]["name"], "rank 3");
  for (const auto& event : events) EXPECT_EQ(event["pid"], 3);

  const auto rows = rows_of(events);
  EXPECT_EQ(rows.size(), static_cast<std::size_t>(kThreads * kTensorsPerThread));
  std::map<int, std::string> names;
  for (const auto& [name, tid] : rows) {
    EXPECT_TRUE(names.emplace(tid, name).second) << "tid " << tid << " reused";
  }
  std::size_t phases = 0, instants = 0;
  for (const auto& event : events) {
    if (event["ph"] == "B" || event["ph"] == "E") ++phases;
    if (event["ph"] == "i") {
      ++instants;
      EXPECT_EQ(event["name"], "rank 1 ready");
      EXPECT_EQ(event["args"]["detail"].get<std::string>().rfind("step ", 0), 0u);
    }
    if (event["ph"] == "B" && event["name"] == "ALLREDUCE") EXPECT_EQ(event["args"]["detail"], "4096 bytes");
  }
  EXPECT_EQ(phases, static_cast<std::size_t>(kThreads * kTensorsPerThread * kSteps * 6));
  EXPECT_EQ(instants, static_cast<std::size_t>(kThreads * kTensorsPerThread * kSteps));
  expect_nested(events);
}

TEST_F(TimelineTest, NamesAreEscaped) {
  const std::string file = path("escaped.json");
  const std::vector<std::string> names = {
      "grad/\"quoted\"", "back\\slash\\", "new\nline\ttab\x01", "gradé/θ/🙂", "日本語.weight"};
  {
    Timeline timeline(file, 0);
    for (const auto& name : names) {
      timeline.begin(name, "QUEUE \"phase\"");
      timeline.end(name, "QUEUE \"phase\"");
    }
    timeline.instant("bad\xff\xc3", "what\\", "detail \"x\"");
  }
  const json events = json::parse(read(file));
  const auto rows = rows_of(events);
  for (const auto& name : names) EXPECT_TRUE(rows.count(name)) << name;
  // Bytes that are not UTF-8 become U+FFFD each.
  EXPECT_TRUE(rows.count("bad\xEF\xBF\xBD\xEF\xBF\xBD"));
  bool saw_instant = false;
  for (const auto& event : events) {
    if (event["ph"] == "B") EXPECT_EQ(event["name"], "QUEUE \"phase\"");
    if (event["ph"] == "i") {
      saw_instant = true;
      EXPECT_EQ(event["name"], "what\\");
      EXPECT_EQ(event["args"]["detail"], "detail \"x\"");
    }
  }
  EXPECT_TRUE(saw_instant);
  expect_nested(events);
}

// A job that dies before the destructor leaves a prefix that Chrome reads (it closes the array).
TEST_F(TimelineTest, UnfinishedFileIsAReadablePrefix) {
  const std::string file = path("prefix.json");
  Timeline timeline(file, 1, std::chrono::milliseconds(10));
  timeline.begin("a", "NEGOTIATE");
  timeline.end("a", "NEGOTIATE");
  timeline.flush();
  std::string text = read(file);
  EXPECT_EQ(text.find(']'), std::string::npos) << "the array is closed only at the end";
  json events = json::parse(text + "\n]");
  EXPECT_EQ(rows_of(events).size(), 1u);

  // Without flush(): the writer writes on its own every flush interval.
  timeline.begin("b", "QUEUE");
  for (int i = 0; i < 500; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    text = read(file);
    if (text.find("\"QUEUE\"") != std::string::npos) break;
  }
  events = json::parse(text + "\n]");
  EXPECT_EQ(rows_of(events).size(), 2u);
}

TEST_F(TimelineTest, EmptyTimelineIsValidJson) {
  const std::string file = path("empty.json");
  { Timeline timeline(file, 0); }
  const json events = json::parse(read(file));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["name"], "process_name");
}

TEST_F(TimelineTest, PathErrorsNameThePath) {
  const std::string missing = path("no/such/dir/trace.json");
  const Error error = testing::error_from([&] { Timeline timeline(missing, 0); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(error.message().find(missing), std::string::npos) << error.message();
  EXPECT_EQ(testing::error_from([] { Timeline timeline("", 0); }).code(), ErrorCode::InvalidArgument);
}

TEST_F(TimelineTest, RankSubstitution) {
  EXPECT_FALSE(Timeline::rank_writes("", 0));
  EXPECT_TRUE(Timeline::rank_writes("/tmp/t.json", 0));
  EXPECT_FALSE(Timeline::rank_writes("/tmp/t.json", 1));
  EXPECT_TRUE(Timeline::rank_writes("/tmp/t-%r.json", 1));
  EXPECT_EQ(Timeline::path_for_rank("/tmp/t-%r-%r.json", 12), "/tmp/t-12-12.json");
  EXPECT_EQ(Timeline::path_for_rank("/tmp/100%.json", 2), "/tmp/100%.json");
  Timeline timeline(path("t-%r.json"), 7);
  EXPECT_EQ(timeline.path(), path("t-7.json"));
  EXPECT_TRUE(std::filesystem::exists(path("t-7.json")));
}

// The engine's own use: with "%r" every rank writes a trace; each tensor's row holds its
// negotiation and its fused allreduce's phases, properly nested.
TEST_F(TimelineTest, EngineWritesATracePerRank) {
  const std::string pattern = path("engine-%r.json");
  const std::vector<std::string> names = {"grad/a", "grad/b", "grad/c"};
  testing::run_ranks(2, [&](Context& ctx) {
    EngineOptions options;
    options.timeline_path = pattern;
    options.stall_check = std::chrono::seconds(0);
    Engine engine(ctx, options);
    std::vector<std::vector<float>> data(names.size(), std::vector<float>(64, 1.0f));
    for (int step = 0; step < 3; ++step) {
      std::vector<Handle> handles;
      for (std::size_t i = 0; i < names.size(); ++i) {
        handles.push_back(engine.allreduce_async(names[i], Tensor::of(data[i]), ReduceOp::Sum));
      }
      for (const auto& handle : handles) handle.wait();
    }
  });
  for (int rank = 0; rank < 2; ++rank) {
    SCOPED_TRACE("rank " + std::to_string(rank));
    const json events = json::parse(read(Timeline::path_for_rank(pattern, rank)));
    const auto rows = rows_of(events);
    for (const auto& name : names) EXPECT_TRUE(rows.count(name)) << name;
    std::map<std::string, int> phases;
    for (const auto& event : events) {
      if (event["ph"] == "B") ++phases[event["name"].get<std::string>()];
      EXPECT_EQ(event["pid"], rank);
    }
    EXPECT_EQ(phases["NEGOTIATE"], 9);
    EXPECT_EQ(phases["ALLREDUCE"], 9);
    expect_nested(events);
  }
}

}  // namespace
}  // namespace ronde

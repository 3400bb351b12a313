// Retention after each commit: keep_last, keep_every, orphan prefixes and stale uploads.
#include <gtest/gtest.h>

#include <fstream>

#include "checkpointer_fixture.h"
#include "storage/temp_names.h"
#include "support/thread_ranks.h"

namespace ronde::checkpoint::testing {
namespace {

using ronde::testing::run_ranks;

std::vector<std::int64_t> committed_steps(const TempRoot& root) {
  auto storage = open_storage(root.uri(), StorageOptions{});
  std::vector<std::int64_t> steps;
  for (const auto& name : checkpoint_names(*storage, false)) steps.push_back(parse_checkpoint_key(name)->step);
  return steps;
}

TEST(Retention, KeepLastAndKeepEvery) {
  TempRoot root;
  run_ranks(2, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 1);
    CheckpointState state;
    toy.register_in(state);
    CheckpointerOptions options = test_options();
    options.every_steps = 10;
    options.keep_last = 2;
    options.keep_every = 40;
    Checkpointer ck(ctx, root.uri(), options);
    for (int step = 10; step <= 100; step += 10) ck.maybe_save(step, state);
    ck.wait();
  });
  // Shards of deleted checkpoints are gone too: only these prefixes are left.
  EXPECT_EQ(committed_steps(root), (std::vector<std::int64_t>{40, 80, 90, 100}));
}

TEST(Retention, OrphansAndStaleUploadsAreRemovedNewerDebrisIsKept) {
  TempRoot root;
  const CheckpointId old_orphan{5, "0000aaaa"};
  const CheckpointId new_orphan{500, "0000bbbb"};
  for (const auto& id : {old_orphan, new_orphan}) {
    std::filesystem::create_directories(root.path() / id.name());
    std::ofstream(root.path() / id.name() / shard_name(0, 0)) << "partial";
  }
  // A crashed upload of the file backend: a temporary file next to where the object would go.
  const CheckpointId crashed{7, "0000cccc"};
  const auto temporary = root.path() / crashed.name() / make_temp_name(shard_name(1, 0));
  std::filesystem::create_directories(temporary.parent_path());
  std::ofstream(temporary) << "half";
  ASSERT_EQ(open_storage(root.uri(), StorageOptions{})->list_pending_uploads(kCheckpointKeyPrefix).size(), 1u);
  run_ranks(1, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 1);
    CheckpointState state;
    toy.register_in(state);
    Checkpointer(ctx, root.uri(), test_options()).save(10, state);
  });
  EXPECT_FALSE(std::filesystem::exists(root.path() / old_orphan.name()));
  EXPECT_FALSE(std::filesystem::exists(temporary));
  EXPECT_TRUE(std::filesystem::exists(root.path() / new_orphan.name() / shard_name(0, 0)));
  EXPECT_EQ(committed_steps(root), (std::vector<std::int64_t>{10, 500}));
}

}  // namespace
}  // namespace ronde::checkpoint::testing

// Asynchronous saves: the snapshot is what is saved, errors surface on the next call and in wait(),
// a failing upload on one rank leaves no manifest and fails every rank.
#include <gtest/gtest.h>

#include "checkpointer_fixture.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"

namespace ronde::checkpoint::testing {
namespace {

using ronde::testing::error_from;
using ronde::testing::run_ranks;

TEST(AsyncSave, SnapshotIsSavedNotLaterChanges) {
  TempRoot root;
  run_ranks(3, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 1, 200000);
    CheckpointState state;
    toy.register_in(state);
    CheckpointerOptions options = test_options();
    options.every_steps = 5;
    Checkpointer ck(ctx, root.uri(), options);
    for (int step = 1; step <= 10; ++step) {
      const bool saved = ck.maybe_save(step, state);
      EXPECT_EQ(saved, step % 5 == 0);
      toy.fill(ctx.rank(), 100 + step);  // changes right after maybe_save returns
    }
    ck.wait();
    EXPECT_EQ(ck.last_committed()->step, 10);
  });
  run_ranks(3, [&](Context& ctx) {
    ToyState blank(ctx.rank(), 0, 200000);
    CheckpointState state;
    blank.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    EXPECT_EQ(ck.restore_latest(state), std::optional<std::int64_t>(10));
    const ToyState expected(ctx.rank(), 109, 200000);  // the values when maybe_save(10) was called
    EXPECT_EQ(blank.w, expected.w);
    EXPECT_EQ(blank.pos, expected.pos);
  });
}

TEST(AsyncSave, OneRanksUploadFailureFailsEveryRankAndWritesNoManifest) {
  TempRoot root;
  run_ranks(3, [&](Context& ctx) {
    std::shared_ptr<Storage> storage = open_storage(root.uri(), StorageOptions{});
    if (ctx.rank() == 1) {
      storage = std::make_shared<FailingStorage>(storage, [](std::string_view key) {
        return key.find(".shard") != std::string_view::npos;
      });
    }
    ToyState toy(ctx.rank(), 1);
    CheckpointState state;
    toy.register_in(state);
    CheckpointerOptions options = test_options();
    options.every_steps = 1;
    Checkpointer ck(ctx, storage, options);
    EXPECT_TRUE(ck.maybe_save(1, state));
    const Error error = error_from([&] { ck.wait(); });
    EXPECT_EQ(error.code(), ErrorCode::Storage);
    EXPECT_NE(error.message().find("rank 1"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("rank-00001-000.shard"), std::string::npos) << error.message();
    EXPECT_TRUE(checkpoint_names(ck.storage(), true).empty());
    ck.wait();  // the error is handed out once
  });
  // The other ranks removed their shards too.
  auto storage = open_storage(root.uri(), StorageOptions{});
  EXPECT_TRUE(storage->list(kCheckpointKeyPrefix).empty());
}

TEST(AsyncSave, ErrorSurfacesOnTheNextMaybeSave) {
  TempRoot root;
  run_ranks(2, [&](Context& ctx) {
    auto inner = open_storage(root.uri(), StorageOptions{});
    std::shared_ptr<Storage> storage = std::make_shared<FailingStorage>(
        std::move(inner), [](std::string_view key) { return key.find("manifest") != std::string_view::npos; });
    ToyState toy(ctx.rank(), 1);
    CheckpointState state;
    toy.register_in(state);
    CheckpointerOptions options = test_options();
    options.every_steps = 2;
    Checkpointer ck(ctx, storage, options);
    EXPECT_TRUE(ck.maybe_save(2, state));
    // Step 3 does not save: nothing is thrown there. Step 4 would save: the error of step 2 comes out.
    EXPECT_FALSE(ck.maybe_save(3, state));
    const Error error = error_from([&] { ck.maybe_save(4, state); });
    EXPECT_NE(error.message().find("manifest.json"), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("rank 0"), std::string::npos) << error.message();
    ck.wait();  // nothing in flight: the failed call started no save
  });
}

}  // namespace
}  // namespace ronde::checkpoint::testing

// Restore-latest-valid: a corrupted or missing shard, or a manifest-less prefix, makes restore fall
// back to the previous checkpoint (with a warning naming what was wrong); debris is cleaned. The
// ranks share the verification: each checks its part of the shards.
#include <gtest/gtest.h>

#include <fstream>

#include "checkpointer/verify.h"
#include "checkpointer_fixture.h"
#include "support/thread_ranks.h"

namespace ronde::checkpoint::testing {
namespace {

using ronde::testing::run_ranks;

// Saves steps 10 (seed 1) and 20 (seed 2) with two ranks; returns the name of step 20's checkpoint.
std::string save_two(const TempRoot& root) {
  std::string newest;
  run_ranks(2, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 1);
    CheckpointState state;
    toy.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options());
    ck.save(10, state);
    toy.fill(ctx.rank(), 2);
    ck.save(20, state);
    if (ctx.rank() == 0) newest = ck.last_committed()->name();
  });
  return newest;
}

// Restores with two ranks; returns the step and checks the values are those of `seed`.
std::optional<std::int64_t> restore_two(const TempRoot& root, int seed, LogCapture& log) {
  std::optional<std::int64_t> step;
  run_ranks(2, [&](Context& ctx) {
    ToyState blank(ctx.rank(), 0);
    CheckpointState state;
    blank.register_in(state);
    Checkpointer ck(ctx, root.uri(), test_options(log.logger()));
    const auto restored = ck.restore_latest(state);
    EXPECT_EQ(blank.w, ToyState(ctx.rank(), seed).w);
    EXPECT_EQ(blank.pos, ToyState(ctx.rank(), seed).pos);
    if (ctx.rank() == 0) step = restored;
  });
  return step;
}

TEST(Fallback, CorruptedShardFallsBackWithWarningNamingTheShard) {
  TempRoot root;
  const std::string newest = save_two(root);
  const auto shard = root.path() / newest / shard_name(1, 0);
  {
    std::fstream file(shard, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(5);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x40);
    file.seekp(5);
    file.write(&byte, 1);
  }
  LogCapture log;
  EXPECT_EQ(restore_two(root, 1, log), std::optional<std::int64_t>(10));
  EXPECT_NE(log.text().find(newest), std::string::npos) << log.text();
  EXPECT_NE(log.text().find(shard_name(1, 0)), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("checksum"), std::string::npos) << log.text();
}

// Every shard is checked by exactly one of the parts, so ranks that check parts 0..n-1 together
// find any corrupt shard, and each reads only its share.
TEST(Fallback, VerificationPartsTogetherCheckEveryShardOnce) {
  TempRoot root;
  const std::string newest = save_two(root);
  auto storage = open_storage(root.uri(), StorageOptions{});
  const CheckpointId id = parse_checkpoint_key(newest).value();
  const auto whole = detail::verify_checkpoint(*storage, id);
  ASSERT_TRUE(whole.manifest.has_value()) << whole.problem;
  const auto& shards = whole.manifest->shards;
  ASSERT_GE(shards.size(), 2u);
  for (std::size_t corrupt = 0; corrupt < shards.size(); ++corrupt) {
    const auto path = root.path() / newest / shards[corrupt].key;
    const auto size = std::filesystem::file_size(path);
    std::filesystem::resize_file(path, size + 1);  // one byte too many
    for (const std::size_t parts : {std::size_t{1}, std::size_t{2}, std::size_t{3}}) {
      std::size_t found = 0;
      for (std::size_t part = 0; part < parts; ++part) {
        const auto share = detail::verify_checkpoint(*storage, id, part, parts);
        if (share.problem.empty()) continue;
        ++found;
        EXPECT_EQ(part, corrupt % parts);
        EXPECT_NE(share.problem.find(shards[corrupt].key), std::string::npos) << share.problem;
      }
      EXPECT_EQ(found, 1u) << "shard " << corrupt << ", " << parts << " parts";
    }
    std::filesystem::resize_file(path, size);
  }
}

TEST(Fallback, MissingShardFallsBack) {
  TempRoot root;
  const std::string newest = save_two(root);
  std::filesystem::remove(root.path() / newest / shard_name(0, 1));
  LogCapture log;
  EXPECT_EQ(restore_two(root, 1, log), std::optional<std::int64_t>(10));
  EXPECT_NE(log.text().find(shard_name(0, 1)), std::string::npos) << log.text();
  EXPECT_NE(log.text().find("missing"), std::string::npos) << log.text();
}

TEST(Fallback, TruncatedShardFallsBack) {
  TempRoot root;
  const std::string newest = save_two(root);
  std::filesystem::resize_file(root.path() / newest / shard_name(0, 0), 3);
  LogCapture log;
  EXPECT_EQ(restore_two(root, 1, log), std::optional<std::int64_t>(10));
  EXPECT_NE(log.text().find(shard_name(0, 0)), std::string::npos) << log.text();
}

TEST(Fallback, ManifestLessPrefixIsIgnoredAndCleanedByTheNextSave) {
  TempRoot root;
  const std::string newest = save_two(root);
  std::filesystem::remove(root.path() / newest / std::string(kManifestName));
  LogCapture log;
  EXPECT_EQ(restore_two(root, 1, log), std::optional<std::int64_t>(10));
  EXPECT_TRUE(std::filesystem::exists(root.path() / newest / shard_name(0, 0)));
  run_ranks(2, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 3);
    CheckpointState state;
    toy.register_in(state);
    Checkpointer(ctx, root.uri(), test_options()).save(30, state);
  });
  EXPECT_FALSE(std::filesystem::exists(root.path() / newest / shard_name(0, 0)));
  auto storage = open_storage(root.uri(), StorageOptions{});
  EXPECT_EQ(checkpoint_names(*storage, false).size(), 2u);  // steps 10 and 30
}

TEST(Fallback, NoUsableCheckpointFailsAndLeavesTheStateUntouched) {
  TempRoot root;
  const std::string newest = save_two(root);
  auto storage = open_storage(root.uri(), StorageOptions{});
  for (const auto& name : checkpoint_names(*storage, true)) {
    std::ofstream(root.path() / name / std::string(kManifestName)) << "{not json";
  }
  run_ranks(2, [&](Context& ctx) {
    ToyState toy(ctx.rank(), 9);
    CheckpointState state;
    toy.register_in(state);
    LogCapture log;
    Checkpointer ck(ctx, root.uri(), test_options(log.logger()));
    try {
      ck.restore_latest(state);
      ADD_FAILURE() << "rank " << ctx.rank() << ": restored from checkpoints that are all unusable";
    } catch (const Error& error) {
      // Every rank: Corrupt, naming the newest checkpoint and saying why none was used.
      EXPECT_EQ(error.code(), ErrorCode::Corrupt) << error.what();
      EXPECT_NE(error.message().find(newest), std::string::npos) << error.what();
      EXPECT_NE(error.message().find("refusing to start from scratch"), std::string::npos) << error.what();
    }
    EXPECT_EQ(toy.w, ToyState(ctx.rank(), 9).w);
  });
}

}  // namespace
}  // namespace ronde::checkpoint::testing

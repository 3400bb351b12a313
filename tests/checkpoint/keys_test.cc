// The checkpoint key layout: names, prefixes, shard names, parsing keys back, newest-first order.
#include <gtest/gtest.h>

#include <set>

#include "ronde/checkpoint/manifest.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint {
namespace {

TEST(CheckpointKeys, NamesPrefixAndManifestKey) {
  const CheckpointId id{100, "3f9a1c2e"};
  EXPECT_EQ(id.name(), "ckpt-000000000100-3f9a1c2e");
  EXPECT_EQ(id.prefix(), "ckpt-000000000100-3f9a1c2e/");
  EXPECT_EQ(id.manifest_key(), "ckpt-000000000100-3f9a1c2e/manifest.json");
  EXPECT_EQ(id.key_of(shard_name(3, 0)), "ckpt-000000000100-3f9a1c2e/rank-00003-000.shard");
  EXPECT_EQ((CheckpointId{kMaxStep, "ffffffff"}.name()), "ckpt-999999999999-ffffffff");
}

TEST(CheckpointKeys, GenerateGivesFreshWellFormedNonces) {
  std::set<std::string> nonces;
  for (int i = 0; i < 50; ++i) {
    const CheckpointId id = CheckpointId::generate(7);
    EXPECT_EQ(id.step, 7);
    EXPECT_EQ(parse_checkpoint_key(id.name()), id);
    nonces.insert(id.nonce);
  }
  EXPECT_GT(nonces.size(), 45u);  // 32 random bits: collisions in 50 draws are all but impossible
}

TEST(CheckpointKeys, RefusesBadStepsNoncesAndShardNumbers) {
  EXPECT_THROW(CheckpointId::generate(-1), Error);
  EXPECT_THROW(CheckpointId::generate(kMaxStep + 1), Error);
  EXPECT_THROW((CheckpointId{1, "3F9A1C2E"}.name()), Error);
  EXPECT_THROW((CheckpointId{1, "3f9a1c2"}.name()), Error);
  EXPECT_THROW(shard_name(-1, 0), Error);
  EXPECT_THROW(shard_name(100000, 0), Error);
  EXPECT_THROW(shard_name(0, 1000), Error);
  EXPECT_EQ(shard_name(99999, 999), "rank-99999-999.shard");
}

TEST(CheckpointKeys, ParsesTheCheckpointOutOfAnyOfItsKeys) {
  const CheckpointId id{42, "0badcafe"};
  for (const std::string& key : {id.name(), id.prefix(), id.manifest_key(), id.key_of("rank-00000-000.shard")}) {
    const auto parsed = parse_checkpoint_key(key);
    ASSERT_TRUE(parsed.has_value()) << key;
    EXPECT_EQ(*parsed, id) << key;
  }
  for (std::string_view other : {"", "ckpt-", "ckpt-000000000042-0badcaf", "ckpt-000000000042-0badcafex",
                                 "ckpt-00000000004x-0badcafe", "ckpt-000000000042_0badcafe", "ckpt-42-0badcafe",
                                 "ckpt-000000000042-0BADCAFE", "other/ckpt-000000000042-0badcafe/manifest.json",
                                 "notes.txt"}) {
    EXPECT_FALSE(parse_checkpoint_key(other).has_value()) << other;
  }
  EXPECT_TRUE(is_manifest_key("ckpt-000000000042-0badcafe/manifest.json"));
  EXPECT_FALSE(is_manifest_key("ckpt-000000000042-0badcafe/manifest.json.tmp"));
  EXPECT_FALSE(is_manifest_key("ckpt-000000000042-0badcafe/x/manifest.json"));
  EXPECT_FALSE(is_manifest_key("ckpt-000000000042-0badcafe/rank-00000-000.shard"));
}

TEST(CheckpointKeys, KeyOrderIsStepOrderAndNewestFirstSorts) {
  // Twelve zero-padded digits: the storage's lexicographic listing order is step order.
  EXPECT_LT((CheckpointId{99, "ffffffff"}.name()), (CheckpointId{100, "00000000"}.name()));
  std::vector<CheckpointId> ids{{5, "00000001"}, {100, "0000000a"}, {7, "ffffffff"}, {100, "000000ff"}, {0, "12345678"}};
  sort_newest_first(ids);
  const std::vector<CheckpointId> expected{{100, "000000ff"}, {100, "0000000a"}, {7, "ffffffff"}, {5, "00000001"},
                                           {0, "12345678"}};
  EXPECT_EQ(ids, expected);
}

}  // namespace
}  // namespace ronde::checkpoint

// Client-side encryption at rest: encrypted round trips at 1 and 3 ranks with frames smaller than
// the pieces, stored shards that do not contain the plaintext, restores without the key or with
// another key (Unauthenticated), a tampered frame (Corrupt), unencrypted checkpoints restored with
// a key configured, and the key's parsing from hex, a file and the environment.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "checkpointer_fixture.h"
#include "ronde/checkpoint/checksum.h"
#include "ronde/checkpoint/encryption.h"
#include "support/test_helpers.h"
#include "support/thread_ranks.h"

namespace ronde::checkpoint::testing {
namespace {

using ronde::testing::env_of;
using ronde::testing::error_from;
using ronde::testing::run_ranks;

const std::string kHexA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kHexB = "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kPattern = "RONDE-PLAINTEXT-PATTERN-";

CheckpointerOptions with_key(std::optional<EncryptionKey> key, LogCapture* log = nullptr) {
  CheckpointerOptions options = test_options(log ? std::optional<Logger>(log->logger()) : std::nullopt);
  options.encryption_key = std::move(key);
  options.encryption_frame_bytes = 97;  // pieces span several frames and start mid-frame
  return options;
}

// The toy state plus a replicated u8 tensor filled with kPattern, repeated.
struct PatternState {
  PatternState(int rank, int seed) : toy(rank, seed), text(3000) {
    for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<std::uint8_t>(kPattern[i % kPattern.size()]);
    toy.register_in(state);
    state.add_replicated("pattern", Tensor::of(text));
  }
  ToyState toy;
  std::vector<std::uint8_t> text;
  CheckpointState state;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

Manifest manifest_of(const TempRoot& root, const std::string& checkpoint) {
  return parse_manifest(read_file(root.path() / checkpoint / kManifestName));
}

// Saves step 10 with `ranks` ranks and `key`; returns the checkpoint's name.
std::string save(const TempRoot& root, int ranks, std::optional<EncryptionKey> key, int seed = 3, std::int64_t step = 10) {
  std::string name;
  run_ranks(ranks, [&](Context& ctx) {
    PatternState saved(ctx.rank(), seed);
    Checkpointer ck(ctx, root.uri(), with_key(key));
    ck.save(step, saved.state);
    if (ctx.rank() == 0) name = ck.last_committed()->name();
  });
  return name;
}

class EncryptedRoundTrip : public ::testing::TestWithParam<int> {};

TEST_P(EncryptedRoundTrip, IsBitwiseExactAndStoresNoPlaintext) {
  const int ranks = GetParam();
  const EncryptionKey key = EncryptionKey::from_hex(kHexA);
  TempRoot root;
  const std::string name = save(root, ranks, key);
  run_ranks(ranks, [&](Context& ctx) {
    PatternState blank(ctx.rank(), 0);
    std::fill(blank.text.begin(), blank.text.end(), 0);
    Checkpointer ck(ctx, root.uri(), with_key(key));
    EXPECT_EQ(ck.restore_latest(blank.state), std::optional<std::int64_t>(10));
    const PatternState expected(ctx.rank(), 3);
    EXPECT_EQ(blank.toy.w, expected.toy.w);
    EXPECT_EQ(blank.toy.b, expected.toy.b);
    EXPECT_EQ(blank.toy.pos, expected.toy.pos);
    EXPECT_EQ(blank.text, expected.text);
  });
  const Manifest manifest = manifest_of(root, name);
  ASSERT_TRUE(manifest.encryption.has_value());
  EXPECT_EQ(manifest.encryption->algorithm, "aes-256-gcm-framed");
  EXPECT_EQ(manifest.encryption->frame_bytes, 97u);
  EXPECT_EQ(manifest.encryption->key_id, key.id());
  // Pieces start inside frames and span several (the test is about frame boundaries).
  bool mid_frame = false;
  for (const auto& tensor : manifest.tensors) {
    for (const auto& piece : tensor.pieces) mid_frame = mid_frame || piece.offset % 97 != 0;
  }
  EXPECT_TRUE(mid_frame);
  for (const auto& shard : manifest.shards) {
    ASSERT_TRUE(shard.encryption.has_value()) << shard.key;
    const std::string stored = read_file(root.path() / name / shard.key);
    EXPECT_EQ(stored.size(), shard.size);
    EXPECT_GT(shard.size, shard.encryption->plaintext_size);
    EXPECT_EQ(shard.checksum, checksum_hex(std::as_bytes(std::span<const char>(stored.data(), stored.size()))));
    EXPECT_EQ(stored.find("PLAINTEXT"), std::string::npos) << shard.key << " holds plaintext";
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, EncryptedRoundTrip, ::testing::Values(1, 3));

TEST(Encryption, UnencryptedShardsDoHoldThePatternSoTheCheckAboveMeansSomething) {
  TempRoot root;
  const std::string name = save(root, 1, std::nullopt);
  const Manifest manifest = manifest_of(root, name);
  EXPECT_FALSE(manifest.encryption.has_value());
  EXPECT_EQ(read_file(root.path() / name / manifest.shards[0].key).find("PLAINTEXT") == std::string::npos, false);
}

TEST(Encryption, RestoreWithoutKeyIsUnauthenticatedNamingTheKeyIdOnEveryRank) {
  const EncryptionKey key = EncryptionKey::from_hex(kHexA);
  TempRoot root;
  save(root, 1, key, 1, 10);
  const std::string newest = save(root, 2, key, 2, 20);
  run_ranks(2, [&](Context& ctx) {
    PatternState blank(ctx.rank(), 0);
    Checkpointer ck(ctx, root.uri(), with_key(std::nullopt));
    const Error error = error_from([&] { ck.restore_latest(blank.state); });
    EXPECT_EQ(error.code(), ErrorCode::Unauthenticated) << error.what();
    EXPECT_NE(error.message().find(key.id()), std::string::npos) << error.message();
    EXPECT_NE(error.message().find(newest), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("RONDE_CHECKPOINT_KEY_FILE"), std::string::npos) << error.message();
    EXPECT_EQ(error.message().find(kHexA), std::string::npos);
  });
}

TEST(Encryption, RestoreWithAnotherKeyIsUnauthenticatedNamingBothIds) {
  const EncryptionKey key = EncryptionKey::from_hex(kHexA);
  const EncryptionKey other = EncryptionKey::from_hex(kHexB);
  ASSERT_NE(key.id(), other.id());
  TempRoot root;
  save(root, 2, key);
  run_ranks(2, [&](Context& ctx) {
    PatternState blank(ctx.rank(), 0);
    Checkpointer ck(ctx, root.uri(), with_key(other));
    const Error error = error_from([&] { ck.restore_latest(blank.state); });
    EXPECT_EQ(error.code(), ErrorCode::Unauthenticated) << error.what();
    EXPECT_NE(error.message().find(key.id()), std::string::npos) << error.message();
    EXPECT_NE(error.message().find(other.id()), std::string::npos) << error.message();
  });
}

TEST(Encryption, TamperedFrameWithMatchingChecksumIsCorruptNamingShardAndFrame) {
  const EncryptionKey key = EncryptionKey::from_hex(kHexA);
  TempRoot root;
  const std::string name = save(root, 1, key);
  // Flip a byte of frame 2 of the replicated shard, and record the altered object's checksum in the
  // manifest so that only the GCM tag can notice.
  Manifest manifest = manifest_of(root, name);
  ShardEntry* shard = nullptr;
  for (auto& entry : manifest.shards) {
    if (entry.key == shard_name(0, 0)) shard = &entry;
  }
  ASSERT_NE(shard, nullptr);
  const auto path = root.path() / name / shard->key;
  std::string stored = read_file(path);
  stored[2 * 113 + 5] = static_cast<char>(stored[2 * 113 + 5] ^ 0x01);
  write_file(path, stored);
  shard->checksum = checksum_hex(std::as_bytes(std::span<const char>(stored.data(), stored.size())));
  write_file(root.path() / name / kManifestName, to_json(manifest));
  run_ranks(1, [&](Context& ctx) {
    PatternState blank(ctx.rank(), 0);
    Checkpointer ck(ctx, root.uri(), with_key(key));
    const Error error = error_from([&] { ck.restore_latest(blank.state); });
    EXPECT_EQ(error.code(), ErrorCode::Corrupt) << error.what();
    EXPECT_NE(error.message().find(shard_name(0, 0)), std::string::npos) << error.message();
    EXPECT_NE(error.message().find("frame 2"), std::string::npos) << error.message();
  });
}

TEST(Encryption, UnencryptedCheckpointsRestoreWithAKeyConfigured) {
  const EncryptionKey key = EncryptionKey::from_hex(kHexA);
  TempRoot root;
  save(root, 2, std::nullopt, 4, 10);
  run_ranks(2, [&](Context& ctx) {
    PatternState blank(ctx.rank(), 0);
    Checkpointer ck(ctx, root.uri(), with_key(key));
    EXPECT_EQ(ck.restore_latest(blank.state), std::optional<std::int64_t>(10));
    EXPECT_EQ(blank.toy.w, ToyState(ctx.rank(), 4).w);
    // ... and the next save with the key is encrypted, in the same root.
    ck.save(20, blank.state);
  });
  run_ranks(2, [&](Context& ctx) {
    PatternState blank(ctx.rank(), 0);
    Checkpointer ck(ctx, root.uri(), with_key(key));
    EXPECT_EQ(ck.restore_latest(blank.state), std::optional<std::int64_t>(20));
    EXPECT_EQ(blank.toy.w, ToyState(ctx.rank(), 4).w);
    EXPECT_EQ(blank.text, PatternState(ctx.rank(), 4).text);
  });
  const auto names = checkpoint_names(*open_storage(root.uri(), StorageOptions{}), true);
  ASSERT_EQ(names.size(), 2u);
  int encrypted = 0;
  for (const auto& name : names) encrypted += manifest_of(root, name).encryption.has_value() ? 1 : 0;
  EXPECT_EQ(encrypted, 1);
}

TEST(Encryption, RanksWithDifferentKeysFailTheSave) {
  TempRoot root;
  run_ranks(2, [&](Context& ctx) {
    PatternState saved(ctx.rank(), 1);
    Checkpointer ck(ctx, root.uri(), with_key(EncryptionKey::from_hex(ctx.rank() == 0 ? kHexA : kHexB)));
    const Error error = error_from([&] { ck.save(10, saved.state); });
    EXPECT_EQ(error.code(), ErrorCode::Mismatch) << error.what();
  });
  EXPECT_TRUE(checkpoint_names(*open_storage(root.uri(), StorageOptions{}), true).empty());
}

TEST(EncryptionManifest, JsonRoundTripAndRules) {
  const EncryptionKey key = EncryptionKey::from_hex(kHexA);
  TempRoot root;
  const std::string name = save(root, 2, key);
  const std::string json = read_file(root.path() / name / kManifestName);
  EXPECT_NE(json.find("\"aes-256-gcm-framed\""), std::string::npos);
  EXPECT_NE(json.find("\"plaintext_size\""), std::string::npos);
  const Manifest manifest = parse_manifest(json);
  EXPECT_EQ(parse_manifest(to_json(manifest)), manifest);

  Manifest broken = manifest;
  broken.shards[0].encryption.reset();
  EXPECT_EQ(error_from([&] { (void)to_json(broken); }).code(), ErrorCode::InvalidArgument);
  broken = manifest;
  broken.shards[0].size += 1;  // no longer the encrypted size of plaintext_size
  EXPECT_NE(error_from([&] { (void)to_json(broken); }).message().find("frames of"), std::string::npos);
  broken = manifest;
  broken.encryption->algorithm = "rot13";
  EXPECT_NE(error_from([&] { (void)to_json(broken); }).message().find("rot13"), std::string::npos);
  broken = manifest;
  broken.encryption->key_id = "XYZ";
  EXPECT_EQ(error_from([&] { (void)to_json(broken); }).code(), ErrorCode::InvalidArgument);
  broken = manifest;
  broken.encryption.reset();
  EXPECT_EQ(error_from([&] { (void)to_json(broken); }).code(), ErrorCode::InvalidArgument);
  // An unknown field inside "encryption" is Corrupt, as everywhere in a manifest.
  std::string extra = json;
  extra.replace(extra.find("\"key_id\""), 8, "\"extra\": 1, \"key_id\"");
  EXPECT_EQ(error_from([&] { (void)parse_manifest(extra); }).code(), ErrorCode::Corrupt);
}

TEST(EncryptionKeyParsing, HexAndId) {
  const EncryptionKey key = EncryptionKey::from_hex("  " + kHexA + "\n");
  EXPECT_EQ(std::to_integer<int>(key.bytes[31]), 0x1f);
  EXPECT_EQ(key.id().size(), 16u);
  EXPECT_EQ(key.id(), EncryptionKey::from_hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F").id());
  EXPECT_NE(key.id(), EncryptionKey::from_hex(kHexB).id());
}

TEST(EncryptionKeyParsing, ErrorsNameTheSourceAndNeverTheKey) {
  const std::string short_key = kHexA.substr(0, 62);
  Error error = error_from([&] { EncryptionKey::from_env(env_of({{"RONDE_CHECKPOINT_KEY", short_key}})); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(error.message().find("RONDE_CHECKPOINT_KEY"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find("64 hex digits"), std::string::npos) << error.message();
  EXPECT_EQ(error.message().find(short_key), std::string::npos) << error.message();

  const std::string non_hex = "g" + kHexA.substr(1);
  error = error_from([&] { EncryptionKey::from_env(env_of({{"RONDE_CHECKPOINT_KEY", non_hex}})); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(error.message().find("RONDE_CHECKPOINT_KEY"), std::string::npos) << error.message();
  EXPECT_EQ(error.message().find(non_hex), std::string::npos) << error.message();

  TempRoot dir;
  const std::string missing = (dir.path() / "no-such.key").string();
  error = error_from([&] { EncryptionKey::from_env(env_of({{"RONDE_CHECKPOINT_KEY_FILE", missing}})); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(error.message().find("RONDE_CHECKPOINT_KEY_FILE"), std::string::npos) << error.message();
  EXPECT_NE(error.message().find(missing), std::string::npos) << error.message();

  const auto bad_file = dir.path() / "bad.key";
  write_file(bad_file, "not a key\n");
  error = error_from([&] { EncryptionKey::from_file(bad_file.string()); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_NE(error.message().find(bad_file.string()), std::string::npos) << error.message();
  EXPECT_EQ(error.message().find("not a key"), std::string::npos) << error.message();
}

TEST(EncryptionKeyParsing, EnvironmentFileWinsOverHexAndOptionsFromEnvFillTheKey) {
  TempRoot dir;
  const auto file = dir.path() / "ckpt.key";
  write_file(file, kHexB + "\n");
  const auto env = env_of({{"RONDE_CHECKPOINT_KEY_FILE", file.string()}, {"RONDE_CHECKPOINT_KEY", kHexA}});
  EXPECT_EQ(EncryptionKey::from_env(env), EncryptionKey::from_hex(kHexB));
  EXPECT_EQ(EncryptionKey::from_env(env_of({{"RONDE_CHECKPOINT_KEY", kHexA}})), EncryptionKey::from_hex(kHexA));
  EXPECT_FALSE(EncryptionKey::from_env(env_of({})).has_value());
  EXPECT_EQ(CheckpointerOptions::from_env(env).encryption_key, EncryptionKey::from_hex(kHexB));
  EXPECT_FALSE(CheckpointerOptions::from_env(env_of({})).encryption_key.has_value());
}

}  // namespace
}  // namespace ronde::checkpoint::testing

// parse_manifest refuses every kind of broken manifest with Error(Corrupt) naming the origin and
// the field, tensor or shard at fault. Each case edits the JSON of a valid manifest.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "ronde/checkpoint/manifest.h"
#include "ronde/core/error.h"
#include "sample_manifest.h"

namespace ronde::checkpoint {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kOrigin = "manifest file:///ckpt/ckpt-000000000100-3f9a1c2e/manifest.json";

void expect_corrupt(const std::string& text, const std::string& fragment) {
  try {
    parse_manifest(text, kOrigin);
    ADD_FAILURE() << "accepted a manifest that should fail with '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Corrupt) << e.what();
    EXPECT_NE(e.message().find(kOrigin), std::string::npos) << e.what();
    EXPECT_NE(e.message().find(fragment), std::string::npos) << "expected '" << fragment << "' in: " << e.what();
  }
}

void expect_corrupt(const std::function<void(Json&)>& edit, const std::string& fragment) {
  Json json = Json::parse(to_json(testing::sample_manifest()));
  edit(json);
  SCOPED_TRACE(fragment);
  expect_corrupt(json.dump(), fragment);
}

TEST(ManifestCorruption, NotJsonOrNotAnObject) {
  expect_corrupt("", "not valid JSON");
  expect_corrupt("{", "not valid JSON");
  expect_corrupt(to_json(testing::sample_manifest()).substr(0, 200), "not valid JSON");  // truncated
  expect_corrupt("[1, 2]", "expected an object");
  expect_corrupt("null", "expected an object");
}

TEST(ManifestCorruption, FormatAndVersion) {
  expect_corrupt([](Json& j) { j["format"] = "orbax"; }, "'orbax' is not a ronde-checkpoint manifest");
  expect_corrupt([](Json& j) { j["version"] = 2; }, "unsupported manifest version 2");
  expect_corrupt([](Json& j) { j["version"] = "1"; }, "unsupported manifest version \"1\"");
  expect_corrupt([](Json& j) { j["version"] = 1.0; }, "unsupported manifest version");
}

TEST(ManifestCorruption, EveryMissingTopLevelField) {
  const Json valid = Json::parse(to_json(testing::sample_manifest()));
  for (const auto& item : valid.items()) {
    const std::string key = item.key();
    expect_corrupt([&](Json& j) { j.erase(key); }, key + ": missing");
  }
}

TEST(ManifestCorruption, MissingNestedFields) {
  expect_corrupt([](Json& j) { j["shards"][1].erase("size"); }, "shards[1].size: missing");
  expect_corrupt([](Json& j) { j["tensors"][1].erase("shape"); }, "tensors[1] ('fc1.b').shape: missing");
  expect_corrupt([](Json& j) { j["tensors"][0]["pieces"][1].erase("checksum"); },
                 "tensors[0] ('fc1.w').pieces[1].checksum: missing");
  expect_corrupt([](Json& j) { j["per_rank"][1].erase("tensors"); }, "per_rank[1].tensors: missing");
  expect_corrupt([](Json& j) { j["optimizers"][0].erase("metadata"); }, "optimizers[0].metadata: missing");
}

TEST(ManifestCorruption, UnknownAndDuplicatedFields) {
  expect_corrupt([](Json& j) { j["compression"] = "zstd"; }, "unknown field 'compression'");
  // "encryption" is a known field now (client-side encryption), but only as an object.
  expect_corrupt([](Json& j) { j["encryption"] = "aes-256-gcm"; }, "encryption: expected an object");
  expect_corrupt([](Json& j) { j["tensors"][0]["pieces"][0]["crc"] = 1; }, "pieces[0]: unknown field 'crc'");
  expect_corrupt([](Json& j) { j["shards"][0]["etag"] = "x"; }, "shards[0]: unknown field 'etag'");
  // A key written twice: JSON libraries keep one silently; the manifest reader refuses.
  std::string text = to_json(testing::sample_manifest());
  text.replace(text.find("\"step\": 100"), 11, "\"step\": 100, \"step\": 200");
  expect_corrupt(text, "the field 'step' appears twice");
}

TEST(ManifestCorruption, WrongTypesAndRanges) {
  expect_corrupt([](Json& j) { j["step"] = "100"; }, "step: \"100\" is not a non-negative integer");
  expect_corrupt([](Json& j) { j["step"] = -1; }, "step: -1 is not a non-negative integer");
  expect_corrupt([](Json& j) { j["step"] = 1e3; }, "step: 1000.0 is not a non-negative integer");
  expect_corrupt([](Json& j) { j["world_size"] = 0; }, "world_size: 0 is outside 1..100000");
  expect_corrupt([](Json& j) { j["world_size"] = 100001; }, "world_size: 100001 is outside");
  expect_corrupt([](Json& j) { j["shards"] = Json::object(); }, "shards: expected an array");
  expect_corrupt([](Json& j) { j["tensors"][0]["shape"][0] = -3; }, "shape[0]: -3 is not a non-negative integer");
  expect_corrupt([](Json& j) { j["tensors"][0]["shape"][0] = 1.5; }, "shape[0]: 1.5 is not");
  expect_corrupt([](Json& j) { j["tensors"][0]["pieces"][0]["offset"] = "0"; }, "pieces[0].offset: \"0\" is not");
  expect_corrupt([](Json& j) { j["tensors"][2]["dtype"] = "f8"; }, "tensors[2] ('opt/fc1.w/exp_avg').dtype: unknown dtype 'f8'");
  expect_corrupt([](Json& j) { j["tensors"][0]["name"] = 7; }, "tensors[0].name: expected a string");
  expect_corrupt([](Json& j) { j["metadata"]["data_position"] = 12345; }, "metadata.data_position: expected a string");
  expect_corrupt([](Json& j) { j["optimizers"][0]["tensors"] = "opt/fc1.w/exp_avg"; }, "optimizers[0].tensors: expected an array");
}

TEST(ManifestCorruption, IdentityAndTime) {
  expect_corrupt([](Json& j) { j["step"] = 101; }, "does not match step and nonce (expected 'ckpt-000000000101-3f9a1c2e')");
  expect_corrupt([](Json& j) { j["nonce"] = "3F9A1C2E"; }, "nonce: '3F9A1C2E' is not 8 lowercase hex digits");
  expect_corrupt([](Json& j) { j["created"] = "2024-13-01T00:00:00.000Z"; }, "created: '2024-13-01T00:00:00.000Z' is not a UTC time");
  expect_corrupt([](Json& j) { j["created"] = "2024-02-30T00:00:00.000Z"; }, "is not a UTC time");
  expect_corrupt([](Json& j) { j["created"] = "2024-11-24 22:20:05"; }, "is not a UTC time");
}

TEST(ManifestCorruption, ChecksumsAndNames) {
  expect_corrupt([](Json& j) { j["shards"][2]["checksum"] = "md5:abc"; },
                 "checksum of shard 'rank-00000-001.shard': 'md5:abc' is not a checksum");
  expect_corrupt([](Json& j) { j["tensors"][1]["pieces"][0]["checksum"] = "xxh3:12"; },
                 "checksum of tensor 'fc1.b' piece 0");
  expect_corrupt([](Json& j) { j["shards"][0]["key"] = "../escape"; }, "shard '../escape': not a valid object name");
  expect_corrupt([](Json& j) { j["shards"][0]["key"] = "manifest.json"; }, "not a valid object name");
  expect_corrupt([](Json& j) { j["tensors"][3]["name"] = ""; }, "a tensor name must be");
  expect_corrupt([](Json& j) { j["tensors"][3]["name"] = "tab\there"; }, "a tensor name must be");
}

TEST(ManifestCorruption, DuplicateNames) {
  expect_corrupt([](Json& j) { j["tensors"][3]["name"] = "fc1.b"; }, "tensor 'fc1.b' is listed twice");
  expect_corrupt([](Json& j) { j["shards"][3]["key"] = "rank-00000-001.shard"; }, "shard 'rank-00000-001.shard' is listed twice");
  expect_corrupt([](Json& j) { j["per_rank"][1]["rank"] = 0; }, "per_rank entry of rank 0: rank 0 appears twice");
  expect_corrupt([](Json& j) { j["per_rank"][0]["tensors"].push_back(j["per_rank"][0]["tensors"][0]); },
                 "rank 0 tensor 'rng' is listed twice");
  expect_corrupt([](Json& j) { j["optimizers"].push_back(j["optimizers"][0]); }, "optimizer 'adamw' is listed twice");
  expect_corrupt([](Json& j) { j["optimizers"][0]["tensors"].push_back("opt/fc1.w/exp_avg"); },
                 "optimizer 'adamw': tensor 'opt/fc1.w/exp_avg' is listed twice");
}

TEST(ManifestCorruption, RanksOutsideTheWorld) {
  expect_corrupt([](Json& j) { j["shards"][1]["rank"] = 2; }, "shard 'rank-00001-000.shard': rank 2 is outside world size 2");
  expect_corrupt([](Json& j) { j["per_rank"][1]["rank"] = 5; }, "per_rank entry of rank 5: rank is outside world size 2");
}

TEST(ManifestCorruption, PiecesOutsideTheirShard) {
  expect_corrupt([](Json& j) { j["tensors"][1]["pieces"][0]["shard"] = "rank-00007-000.shard"; },
                 "tensor 'fc1.b' piece 0: shard 'rank-00007-000.shard' is not in the shard list");
  expect_corrupt([](Json& j) { j["tensors"][1]["pieces"][0]["offset"] = 30; },
                 "tensor 'fc1.b' piece 0: bytes [30, 42) are beyond the end of shard 'rank-00000-000.shard' (36 bytes)");
  // offset + length would wrap around 2^64: still beyond the end, not a wrapped small number.
  expect_corrupt([](Json& j) { j["tensors"][1]["pieces"][0]["offset"] = ~0ull; }, "beyond the end of shard");
  expect_corrupt([](Json& j) { j["shards"][0]["size"] = 30; }, "beyond the end of shard 'rank-00000-000.shard' (30 bytes)");
}

TEST(ManifestCorruption, OverlappingPieces) {
  expect_corrupt([](Json& j) { j["tensors"][1]["pieces"][0]["offset"] = 20; },
                 "shard 'rank-00000-000.shard': tensor 'fc1.w' piece 0 bytes [0, 24) overlap tensor 'fc1.b' piece 0 bytes [20, 32)");
  // Per-rank state overlapping replicated state in one shard.
  expect_corrupt([](Json& j) { j["per_rank"][0]["tensors"][0]["pieces"][0]["shard"] = "rank-00000-000.shard"; },
                 "overlap rank 0 tensor 'rng' piece 0");
}

TEST(ManifestCorruption, PiecesThatDoNotTileTheirTensor) {
  expect_corrupt([](Json& j) { j["tensors"][0]["pieces"][0]["length"] = 20; },
                 "tensor 'fc1.w' piece 1: starts at tensor byte 24, expected 20");
  expect_corrupt([](Json& j) { j["tensors"][0]["pieces"].erase(1); }, "tensor 'fc1.w': pieces cover 24 of its 48 bytes (f32[4,3])");
  expect_corrupt([](Json& j) { j["tensors"][0]["pieces"] = Json::array(); }, "pieces cover 0 of its 48 bytes");
  expect_corrupt([](Json& j) { j["tensors"][1]["pieces"][0]["length"] = 0; }, "tensor 'fc1.b' piece 0: length is 0");
  expect_corrupt([](Json& j) { j["tensors"][1]["pieces"][0]["tensor_offset"] = 4; }, "starts at tensor byte 4, expected 0");
  expect_corrupt([](Json& j) { j["tensors"][1]["shape"][0] = 2; }, "tensor bytes [0, 12) go beyond the tensor's 8 bytes");
  expect_corrupt([](Json& j) { std::swap(j["tensors"][0]["pieces"][0], j["tensors"][0]["pieces"][1]); },
                 "piece 0: starts at tensor byte 24, expected 0");
  expect_corrupt([](Json& j) { j["tensors"][3]["shape"] = {1u << 31, 1u << 31, 1u << 31}; }, "more elements than 2^64");
}

TEST(ManifestCorruption, OptimizerReferencesAndUserData) {
  expect_corrupt([](Json& j) { j["optimizers"][0]["tensors"].push_back("opt/fc2.w/exp_avg"); },
                 "optimizer 'adamw': tensor 'opt/fc2.w/exp_avg' is not in the manifest");
  expect_corrupt([](Json& j) { j["metadata"][""] = "x"; }, "metadata: a key is empty");
}

TEST(ManifestCorruption, OptimizerMayReferencePerRankState) {
  Manifest m = testing::sample_manifest();
  m.optimizers[0].tensors.push_back("rng");
  EXPECT_EQ(parse_manifest(to_json(m)), m);
}

}  // namespace
}  // namespace ronde::checkpoint

// The manifest's JSON: round trips, the written form, and what to_json refuses to write.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ronde/checkpoint/manifest.h"
#include "ronde/core/error.h"
#include "sample_manifest.h"

namespace ronde::checkpoint {
namespace {

using testing::sample_manifest;

TEST(Manifest, RoundTripsThroughJson) {
  const Manifest m = sample_manifest();
  const std::string text = to_json(m);
  const Manifest back = parse_manifest(text, "test manifest");
  EXPECT_EQ(back, m);
  EXPECT_EQ(to_json(back), text);  // and writes the same bytes again
}

TEST(Manifest, EmptyCheckpointRoundTrips) {
  Manifest m;
  m.id = {0, "00000000"};
  EXPECT_EQ(parse_manifest(to_json(m)), m);
}

TEST(Manifest, WritesTheDocumentedFieldsInOrder) {
  const std::string text = to_json(sample_manifest());
  const auto json = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (const auto& item : json.items()) keys.push_back(item.key());
  const std::vector<std::string> expected{"format", "version", "checkpoint", "step", "nonce", "created", "world_size",
                                          "shards", "tensors", "per_rank", "optimizers", "metadata", "user"};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(json["format"], "ronde-checkpoint");
  EXPECT_EQ(json["version"], 1);
  EXPECT_EQ(json["checkpoint"], "ckpt-000000000100-3f9a1c2e");
  EXPECT_EQ(json["created"], "2024-11-24T22:20:05.123Z");
  EXPECT_EQ(json["tensors"][0]["dtype"], "f32");
  EXPECT_EQ(json["tensors"][0]["pieces"][1]["tensor_offset"], 24);
  EXPECT_EQ(json["user"]["hp"]["batch"], 32);  // user JSON is inline JSON, not an escaped string
  EXPECT_EQ(text.back(), '\n');
}

TEST(Manifest, DropsSubMillisecondTimeAndNormalisesUserJson) {
  Manifest m = sample_manifest();
  const auto created = m.created;
  m.created += std::chrono::microseconds(456);
  m.user_json = "{ \"z\": [1, 2],\n \"a\": null }";
  const Manifest back = parse_manifest(to_json(m));
  EXPECT_EQ(back.created, created);
  EXPECT_EQ(back.user_json, R"({"a":null,"z":[1,2]})");
}

TEST(Manifest, LargeNumbersRoundTrip) {
  Manifest m;
  m.id = {kMaxStep, "ffffffff"};
  m.world_size = 100000;
  const std::uint64_t big = 1ull << 40;
  m.shards = {{shard_name(99999, 999), 99999, big, format_checksum(~0ull)}};
  m.tensors = {{"embedding", DType::F64, {1 << 17, 1 << 20}, {{shard_name(99999, 999), 0, big, 0, format_checksum(0)}}}};
  EXPECT_EQ(parse_manifest(to_json(m)), m);
}

TEST(Manifest, Lookups) {
  const Manifest m = sample_manifest();
  ASSERT_NE(m.find_tensor("fc1.b"), nullptr);
  EXPECT_EQ(m.find_tensor("fc1.b")->nbytes(), 12u);
  EXPECT_EQ(m.find_tensor("rng"), nullptr);  // per-rank tensors are not in `tensors`
  ASSERT_NE(m.find_shard("rank-00001-000.shard"), nullptr);
  EXPECT_EQ(m.find_shard("rank-00001-000.shard")->size, 48u);
  EXPECT_EQ(m.find_shard("nope"), nullptr);
  EXPECT_EQ(m.total_bytes(), 36u + 48u + 16u + 16u);
}

// to_json checks what it writes: a manifest it could not read back is never written.
void expect_refused(const Manifest& m, const std::string& fragment) {
  try {
    to_json(m);
    FAIL() << "to_json accepted a manifest that should fail with '" << fragment << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument) << e.what();
    EXPECT_NE(e.message().find(fragment), std::string::npos) << e.what();
  }
}

TEST(Manifest, ToJsonRefusesInvalidManifests) {
  Manifest m = sample_manifest();
  m.tensors[1].pieces[0].offset = 20;  // fc1.b now overlaps fc1.w's first piece
  expect_refused(m, "overlap");

  m = sample_manifest();
  m.user_json = "{not json";
  expect_refused(m, "user JSON");

  m = sample_manifest();
  m.tensors[0].name = "bad\xff";  // not UTF-8
  expect_refused(m, "cannot be written as JSON");

  m = sample_manifest();
  m.id.nonce = "xyz";
  expect_refused(m, "nonce");

  m = sample_manifest();
  m.world_size = 0;
  expect_refused(m, "world size 0");
}

}  // namespace
}  // namespace ronde::checkpoint

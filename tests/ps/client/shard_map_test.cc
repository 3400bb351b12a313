// ShardMap: the placement rules of include/ronde/ps/shard_map.h, which every client and server must
// compute identically.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <numeric>

#include "ronde/core/error.h"
#include "ronde/core/tensor.h"
#include "ronde/ps/shard_map.h"

namespace ronde::ps {
namespace {

// Partitions cover [0, elements) in index order, without gaps or overlaps.
void expect_exact_cover(const TensorPlacement& placement, std::uint64_t elements) {
  std::uint64_t next = 0;
  for (std::size_t i = 0; i < placement.partitions.size(); ++i) {
    EXPECT_EQ(placement.partitions[i].index, i);
    EXPECT_EQ(placement.partitions[i].offset, next) << "partition " << i;
    next += placement.partitions[i].length;
  }
  EXPECT_EQ(next, elements);
}

TEST(ShardMap, HashesAreTheStandardOnes) {
  // FNV-1a 64 and splitmix64 reference values: placement must not depend on the platform.
  EXPECT_EQ(ShardMap::fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(ShardMap::fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(ShardMap::fnv1a64("foobar"), 0x85944171f73967e8ULL);
  EXPECT_EQ(ShardMap::splitmix64(0), 0xe220a8397b1dcdafULL);
}

TEST(ShardMap, SmallTensorGoesWholeToItsHashedServer) {
  const ShardMap map(3, 1 << 20);
  const auto placement = map.place("fc1.bias", DType::F32, {256});
  ASSERT_EQ(placement.partitions.size(), 1u);
  EXPECT_EQ(placement.partitions[0].offset, 0u);
  EXPECT_EQ(placement.partitions[0].length, 256u);
  EXPECT_EQ(placement.partitions[0].server, ShardMap::fnv1a64("fc1.bias") % 3);
  EXPECT_EQ(placement.name, "fc1.bias");
  EXPECT_EQ(placement.shape, (std::vector<std::int64_t>{256}));
  // Exactly partition_bytes is still small.
  EXPECT_EQ(ShardMap(3, 1024).place("t", DType::F32, {256}).partitions.size(), 1u);
}

TEST(ShardMap, LargeTensorSplitsIntoEqualPartitions) {
  const ShardMap map(2, 1000);
  const auto even = map.place("w", DType::F32, {10, 100});  // 4000 bytes -> 4 x 250 elements
  ASSERT_EQ(even.partitions.size(), 4u);
  for (const auto& partition : even.partitions) EXPECT_EQ(partition.length, 250u);
  expect_exact_cover(even, 1000);

  const auto uneven = map.place("w", DType::F32, {1001});  // 4004 bytes -> 5 partitions
  ASSERT_EQ(uneven.partitions.size(), 5u);
  EXPECT_EQ(uneven.partitions[0].length, 201u);  // the first 1001 % 5 = 1 partition gets one more
  for (std::size_t i = 1; i < 5; ++i) EXPECT_EQ(uneven.partitions[i].length, 200u);
  expect_exact_cover(uneven, 1001);
}

TEST(ShardMap, PartitionsGoRoundRobinFromTheNameHash) {
  const ShardMap map(3, 64);
  const auto placement = map.place("embedding", DType::F64, {7, 33});  // 1848 bytes -> 29 partitions
  ASSERT_EQ(placement.partitions.size(), 29u);
  std::map<std::uint32_t, int> per_server;
  const std::uint64_t hash = ShardMap::fnv1a64("embedding");
  for (const auto& partition : placement.partitions) {
    EXPECT_EQ(partition.server, (hash + partition.index) % 3);
    ++per_server[partition.server];
  }
  // Even load: server counts differ by at most one.
  ASSERT_EQ(per_server.size(), 3u);
  int least = 1 << 30, most = 0;
  for (const auto& [server, count] : per_server) least = std::min(least, count), most = std::max(most, count);
  EXPECT_LE(most - least, 1);
  expect_exact_cover(placement, 7 * 33);
}

TEST(ShardMap, PlacementIsStableAcrossMapsAndCalls) {
  const ShardMap a(4, 4096), b(4, 4096);
  for (const char* name : {"a", "layer.0.weight", "layer.1.weight", "emb"}) {
    const auto first = a.place(name, DType::BF16, {123, 77});
    const auto second = b.place(name, DType::BF16, {123, 77});
    ASSERT_EQ(first.partitions.size(), second.partitions.size());
    for (std::size_t i = 0; i < first.partitions.size(); ++i) {
      EXPECT_EQ(first.partitions[i].server, second.partitions[i].server);
      EXPECT_EQ(first.partitions[i].offset, second.partitions[i].offset);
      EXPECT_EQ(first.partitions[i].length, second.partitions[i].length);
    }
    for (std::int64_t id : {0L, 1L, -1L, 1L << 40}) EXPECT_EQ(a.server_of_row(name, id), b.server_of_row(name, id));
  }
}

TEST(ShardMap, NeverMorePartitionsThanElements) {
  const ShardMap map(2, 1);
  const auto placement = map.place("tiny", DType::F64, {3});  // 24 bytes, but only 3 elements
  ASSERT_EQ(placement.partitions.size(), 3u);
  expect_exact_cover(placement, 3);
}

TEST(ShardMap, EmptyAndScalarTensorsAreOnePartition) {
  const ShardMap map(2, 16);
  const auto empty = map.place("empty", DType::F32, {0, 5});
  ASSERT_EQ(empty.partitions.size(), 1u);
  EXPECT_EQ(empty.partitions[0].length, 0u);
  const auto scalar = map.place("scalar", DType::I64, {});
  ASSERT_EQ(scalar.partitions.size(), 1u);
  EXPECT_EQ(scalar.partitions[0].length, 1u);
}

TEST(ShardMap, RowsSpreadOverServers) {
  const ShardMap map(3, 1 << 20);
  std::map<std::uint32_t, int> per_server;
  for (std::int64_t id = 0; id < 30000; ++id) {
    const auto server = map.server_of_row("emb", id);
    ASSERT_LT(server, 3u);
    EXPECT_EQ(server, ShardMap::splitmix64(ShardMap::fnv1a64("emb") ^ static_cast<std::uint64_t>(id)) % 3);
    ++per_server[server];
  }
  for (const auto& [server, count] : per_server) {
    EXPECT_GT(count, 9000) << "server " << server;
    EXPECT_LT(count, 11000) << "server " << server;
  }
}

TEST(ShardMap, RejectsBadArguments) {
  EXPECT_THROW(ShardMap(0, 1024), Error);
  EXPECT_THROW(ShardMap(1, 0), Error);
  const ShardMap map(2, 1024);
  try {
    map.place("", DType::F32, {2});
    FAIL() << "an empty name was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  }
  try {
    map.place("bad", DType::F32, {2, -1});
    FAIL() << "a negative dimension was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(error.message().find("'bad'"), std::string::npos) << error.message();
  }
}

// Element and byte counts that do not fit in 64 bits are refused naming the tensor and its shape
// (they would otherwise wrap into a small, wrong placement); a zero dimension anywhere is an empty
// tensor, however large the others.
TEST(ShardMap, SizesBeyond64BitsAreRefusedNamingTheTensorAndShape) {
  const ShardMap map(3, 1 << 20);
  const std::vector<std::vector<std::int64_t>> too_big = {
      {1LL << 40, 1LL << 40},              // 2^80 elements
      {1LL << 31, 1LL << 31},              // 2^62 elements, 2^64 bytes of f32
      {INT64_MAX, 2},                      // 2^64 - 2 elements
      {1LL << 32, 1LL << 32, 1LL << 32}};  // wraps to exactly 0
  for (const auto& shape : too_big) {
    try {
      map.place("big", DType::F32, shape);
      ADD_FAILURE() << "no error for shape " << shape_to_string(shape);
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
      EXPECT_NE(error.message().find("'big'"), std::string::npos) << error.message();
      EXPECT_NE(error.message().find(shape_to_string(shape)), std::string::npos) << error.message();
    }
  }
  const auto empty = map.place("empty", DType::F32, {1LL << 40, 1LL << 40, 0});
  ASSERT_EQ(empty.partitions.size(), 1u);
  EXPECT_EQ(empty.partitions[0].length, 0u);
}

}  // namespace
}  // namespace ronde::ps

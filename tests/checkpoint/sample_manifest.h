// A small but complete manifest for the manifest tests: two ranks, a tensor split across both
// shards, a zero-byte tensor, per-rank state, an optimizer, metadata and user JSON.
#pragma once

#include <chrono>

#include "ronde/checkpoint/checksum.h"
#include "ronde/checkpoint/manifest.h"

namespace ronde::checkpoint::testing {

inline Manifest sample_manifest() {
  using namespace std::chrono;
  Manifest m;
  m.id = {100, "3f9a1c2e"};
  m.created = sys_days{year{2024} / 11 / 24} + hours{22} + minutes{20} + seconds{5} + milliseconds{123};
  m.world_size = 2;
  m.shards = {{"rank-00000-000.shard", 0, 36, format_checksum(1)},
              {"rank-00001-000.shard", 1, 48, format_checksum(2)},
              {"rank-00000-001.shard", 0, 16, format_checksum(3)},
              {"rank-00001-001.shard", 1, 16, format_checksum(4)}};
  m.tensors = {
      {"fc1.w", DType::F32, {4, 3},
       {{"rank-00000-000.shard", 0, 24, 0, format_checksum(10)}, {"rank-00001-000.shard", 0, 24, 24, format_checksum(11)}}},
      {"fc1.b", DType::F32, {3}, {{"rank-00000-000.shard", 24, 12, 0, format_checksum(12)}}},
      {"opt/fc1.w/exp_avg", DType::BF16, {4, 3}, {{"rank-00001-000.shard", 24, 24, 0, format_checksum(13)}}},
      {"empty", DType::F32, {0, 5}, {}},
  };
  m.per_rank = {{0, {{"rng", DType::U8, {16}, {{"rank-00000-001.shard", 0, 16, 0, format_checksum(20)}}}}},
                {1, {{"rng", DType::U8, {16}, {{"rank-00001-001.shard", 0, 16, 0, format_checksum(21)}}}}}};
  m.optimizers = {{"adamw", {{"kind", "adamw"}, {"lr", "0x1.0624dd2f1a9fcp-10"}, {"step", "100"}}, {"opt/fc1.w/exp_avg"}}};
  m.metadata = {{"data_position", "12345"}, {"rng/python", "opaque text"}};
  m.user_json = R"({"hp":{"batch":32,"lr":0.001},"note":"x"})";
  return m;
}

}  // namespace ronde::checkpoint::testing

// The checkpointer's messages between ranks, as compact JSON text (they are small: a few hundred
// bytes per tensor, sent once per save or restore).
//
//   RankReport  rank -> rank 0 after uploading (save) or after loading (restore): success or the
//               error; for a save the rank's shards, its replicated pieces' checksums (in the order
//               of its plan) and its per-rank tensors.
//   Outcome     rank 0 -> every rank: the collective result (and for a restore, which checkpoints
//               there are, and which one is chosen).
// Decoding a malformed message is Error(Internal): ranks of one build always agree on the format.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ronde/checkpoint/manifest.h"
#include "ronde/core/error.h"

namespace ronde::checkpoint::detail {

struct RankReport {
  int rank = 0;
  bool ok = true;
  ErrorCode code = ErrorCode::Internal;
  std::string error;  // names the rank's key, tensor or step
  std::string layout_digest;
  // "<key id>/<frame bytes>" of the key this rank encrypted its shards with; empty: not encrypted.
  std::string encryption;
  std::vector<ShardEntry> shards;
  std::vector<std::string> piece_checksums;
  std::vector<TensorEntry> per_rank;
};

struct Outcome {
  bool ok = true;
  ErrorCode code = ErrorCode::Internal;
  std::string error;       // failed: what went wrong; restore's "not usable" verdict: why not
  std::string checkpoint;  // a checkpoint name, or empty
  std::vector<std::string> candidates;  // restore: the committed checkpoints' names, newest first

  static Outcome failed(ErrorCode code, std::string error) { return {false, code, std::move(error), {}, {}}; }
};

std::string encode(const RankReport& report);
RankReport decode_report(const std::string& text);
std::string encode(const Outcome& outcome);
Outcome decode_outcome(const std::string& text);

// The first failed report as an Outcome ("rank R: <error>"), or ok when every report succeeded.
Outcome combine(const std::vector<RankReport>& reports);

}  // namespace ronde::checkpoint::detail

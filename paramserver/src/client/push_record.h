// One push to one server: a dense partition's gradient (or worker 0's initial values), or one
// batch of rows of a sparse table. The same record is sent, retried, retained and replayed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "ronde/core/dtype.h"
#include "ronde_ps.pb.h"

namespace ronde::ps::client {

struct PushRecord {
  std::string tensor;
  std::uint32_t worker = 0;
  bool rows = false;                  // a table's rows (PushRows), else a dense partition (Push)
  std::uint32_t partition = 0;        // dense
  v1::PushKind kind = v1::GRADIENT;   // dense
  std::int64_t step = 0;
  std::uint64_t sequence = 0;         // 0 for INITIAL pushes (idempotent, outside the sequence)
  std::uint64_t previous_sequence = 0;  // of the push before this one from the same cursor; 0: none
  DType dtype = DType::F32;
  std::uint64_t length = 0;           // dense: elements
  std::uint64_t row_width = 0;        // rows: elements per row
  std::span<const std::int64_t> ids;  // rows
  std::span<const std::byte> values;  // dense: length elements; rows: ids.size() * row_width elements
  // Keeps ids and values alive when they are not the caller's memory (retained copies, gathered
  // rows); null when they view the caller's tensor, valid only until the call's future completes.
  std::shared_ptr<const void> owner;

  // "Push of 'fc1.w' partition 3 (step 7)" / "PushRows of 'emb' (step 7)": names it in errors.
  std::string describe() const;
  // A record that owns its bytes: this one when it already does, else a copy of the viewed data.
  std::shared_ptr<const PushRecord> owned() const;
  std::size_t value_bytes() const { return values.size(); }
};

}  // namespace ronde::ps::client

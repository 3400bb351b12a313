// The rule that keeps a restarted server from taking a worker's push before the replay of the
// pushes it lost, shared by dense partitions and sparse tables (anything with `ledger`).
//
// A push carries the sequence of the same worker's previous push to the same unit (0: none since
// the worker declared it). A server that has not taken that previous push restarted from a
// checkpoint older than it: taking this push would raise the worker's last sequence past the lost
// ones, and their replay would then be dropped as duplicates. Such a push is refused with
// ABORTED before any data is read; the client verifies the server (which replays what it
// retained) and sends the push again. A push marked gap_allowed (a replay, or one whose lost
// predecessors the worker no longer has) is exempt.
#pragma once

#include <cstdint>
#include <string>

#include "server/rejection.h"
#include "server/server_core.h"

namespace ronde::ps::server {

template <class Unit>
void check_sequence_gap(const ServerCore& core, const Unit& unit, std::uint32_t worker, std::uint64_t sequence,
                        std::uint64_t previous, bool gap_allowed, const std::string& who) {
  const std::uint64_t taken = unit.ledger.last_sequence[worker];
  if (gap_allowed || sequence <= taken || previous <= taken) return;  // a duplicate is acknowledged as one
  const std::string why = who + ": sequence gap: this server has taken worker " + std::to_string(worker) +
                          "'s pushes up to sequence " + std::to_string(taken) + ", not its previous push (sequence " +
                          std::to_string(previous) + "): it restarted from a checkpoint older than that push, " +
                          "which the worker replays first";
  core.log.warn(why);  // worth seeing: a restart raced a worker's push, or the worker lost pushes
  reject(grpc::StatusCode::ABORTED, why);
}

}  // namespace ronde::ps::server

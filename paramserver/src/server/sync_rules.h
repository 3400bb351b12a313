// Sync mode's step rules, shared by dense partitions and sparse tables (anything with `version`
// and `ledger`): a push of step s that is not a duplicate is taken when s == version and the
// worker has not pushed s; it waits when s == version + 1 and the worker has pushed `version`;
// anything else can never be taken and is refused as a wrong step.
#pragma once

#include <cstdint>
#include <string>

#include "server/rejection.h"

namespace ronde::ps::server {

template <class Unit>
void check_sync_step(const Unit& unit, std::uint32_t worker, std::int64_t step, const std::string& who) {
  const auto version = static_cast<std::int64_t>(unit.version);
  const bool pushed_current = unit.ledger.contributed[worker];
  if (step < version) {
    reject(who + ": wrong step: step " + std::to_string(step) + " is complete (at step " + std::to_string(version) +
           " now) and this sequence was never taken (worker " + std::to_string(worker) + "'s last is " +
           std::to_string(unit.ledger.last_sequence[worker]) + ")");
  }
  if (step == version && pushed_current) {
    reject(who + ": wrong step: worker " + std::to_string(worker) + " already pushed step " + std::to_string(step) +
           " (sequence " + std::to_string(unit.ledger.last_sequence[worker]) + ")");
  }
  if (step > version + 1 || (step == version + 1 && !pushed_current)) {
    reject(who + ": wrong step: at step " + std::to_string(version) + " now, and worker " + std::to_string(worker) +
           (pushed_current ? " has pushed it" : " has not pushed it yet"));
  }
}

}  // namespace ronde::ps::server

// Reading the server's checkpoint record (the checkpoint's user_json) strictly: a missing or
// mistyped field is Error(Corrupt) naming it, never a silent default.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "ronde/core/error.h"
#include "server/worker_ledger.h"

namespace ronde::ps::server {

template <class T>
T field(const nlohmann::json& record, const char* key) {
  if (!record.is_object() || !record.contains(key)) {
    throw Error(ErrorCode::Corrupt, std::string("parameter-server checkpoint record: field '") + key + "' is missing");
  }
  try {
    return record.at(key).get<T>();
  } catch (const nlohmann::json::exception& error) {
    throw Error(ErrorCode::Corrupt,
                std::string("parameter-server checkpoint record: field '") + key + "' has the wrong type: " + error.what());
  }
}

nlohmann::json ledger_to_json(const WorkerLedger& ledger);
// Error(Corrupt) naming `owner` when the arrays do not have `workers` entries.
WorkerLedger ledger_from_json(const nlohmann::json& record, std::uint32_t workers, const std::string& owner);

}  // namespace ronde::ps::server

#include "server/json_fields.h"

#include <vector>

namespace ronde::ps::server {

nlohmann::json ledger_to_json(const WorkerLedger& ledger) {
  std::vector<bool> contributed(ledger.contributed.begin(), ledger.contributed.end());
  return {{"sequences", ledger.last_sequence}, {"progress", ledger.progress}, {"contributed", contributed}};
}

WorkerLedger ledger_from_json(const nlohmann::json& record, std::uint32_t workers, const std::string& owner) {
  WorkerLedger ledger(workers);
  auto sequences = field<std::vector<std::uint64_t>>(record, "sequences");
  auto progress = field<std::vector<std::int64_t>>(record, "progress");
  auto contributed = field<std::vector<bool>>(record, "contributed");
  if (sequences.size() != workers || progress.size() != workers || contributed.size() != workers) {
    throw Error(ErrorCode::Corrupt, "parameter-server checkpoint record of " + owner + ": per-worker entries for " +
                                        std::to_string(sequences.size()) + " workers, expected " +
                                        std::to_string(workers));
  }
  ledger.last_sequence = sequences;
  ledger.durable_sequence = sequences;  // restored state is, by definition, in a checkpoint
  ledger.progress = progress;
  ledger.contributed = contributed;
  return ledger;
}

}  // namespace ronde::ps::server

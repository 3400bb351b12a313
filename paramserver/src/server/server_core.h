// What every handler and the checkpoint loop share: the options, the logger, the registry of
// partitions and tables, the token check, the shutdown flag and the change counter.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "ronde/core/logging.h"
#include "ronde/ps/server.h"
#include "security/credentials.h"
#include "server/buffer_pool.h"
#include "server/registry.h"

namespace ronde::ps::server {

struct ServerCore {
  ServerCore(const ServerOptions& server_options, Logger logger, std::string token, std::string server_incarnation)
      : options(server_options),
        log(std::move(logger)),
        tokens(std::move(token)),
        incarnation(std::move(server_incarnation)),
        registry(server_options),
        contacted(server_options.workers, false) {}

  const ServerOptions& options;
  Logger log;
  security::TokenChecker tokens;
  std::string incarnation;  // random per process
  Registry registry;
  BufferPool buffers;  // push staging
  bool checkpointing = false;

  // Set when shutdown begins: new calls get UNAVAILABLE, waiting calls end with UNAVAILABLE.
  std::atomic<bool> stopping{false};
  // Handlers running. A handler counts itself BEFORE it reads `stopping` (both sequentially
  // consistent), so once shutdown has set `stopping` and seen this reach 0, no handler can change
  // the state any more: the final checkpoint then holds every acknowledged push.
  std::atomic<int> in_flight{0};
  // Counts state changes (declares that create, pushes taken, rows created): a checkpoint is
  // skipped when this has not moved since the last one.
  std::atomic<std::uint64_t> changes{0};
  // Asks the checkpoint loop for a checkpoint soon (a unit advanced --checkpoint-every-steps
  // versions since the last one); empty when checkpoints are off.
  std::function<void()> request_checkpoint;

  // How long a call may wait for other workers (--worker-timeout; 0: no limit of its own).
  std::chrono::milliseconds worker_timeout() const {
    return std::chrono::milliseconds(static_cast<std::int64_t>(options.worker_timeout_seconds * 1000));
  }

  // Logs the first call of each worker (one line per worker per process).
  void note_worker(std::uint32_t worker, const std::string& peer, const char* call) {
    if (worker >= contacted.size()) return;
    std::lock_guard<std::mutex> lock(contact_mutex);
    if (contacted[worker]) return;
    contacted[worker] = true;
    log.info("worker ", worker, " connected from ", peer, " (first call: ", call, ")");
  }

  // After a unit's version advanced: asks for a checkpoint once it is every_steps past the last.
  void advanced(std::uint64_t version, std::uint64_t checkpointed_version) const {
    if (request_checkpoint && options.checkpoint_every_steps > 0 &&
        version - checkpointed_version >= static_cast<std::uint64_t>(options.checkpoint_every_steps)) {
      request_checkpoint();
    }
  }

 private:
  std::mutex contact_mutex;
  std::vector<bool> contacted;
};

}  // namespace ronde::ps::server

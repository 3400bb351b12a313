// The restore protocol (Checkpointer::restore_latest), on every rank:
//  1. Rank 0 walks the committed checkpoints newest first and takes the first that verifies
//     (verify_checkpoint), logging a warning for each one it skips; it sends the choice (a name,
//     none, or its own error) to every rank.
//  2. Every rank reads the chosen manifest and loads its tensors (load_state).
//  3. Every rank reports success or its error to rank 0, which sends the combined outcome back:
//     either every rank returns the step, or every rank throws the same Error naming the rank.
// Step 1 needs no key: verification checks the stored (encrypted) shards. A chosen checkpoint that
// is encrypted with a key this job lacks (Unauthenticated) or whose frames fail authentication
// (Corrupt) fails step 2, so the restore stops on every rank: it never falls back to an older
// checkpoint then (a missing key is a configuration error, not a reason to lose progress).
#pragma once

#include <cstdint>
#include <optional>

#include "checkpointer/root_channel.h"
#include "ronde/checkpoint/checkpointer.h"
#include "ronde/checkpoint/encryption.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint::detail {

std::optional<std::int64_t> restore_latest(Storage& storage, RootChannel& channel, const Logger& log,
                                           CheckpointState& state,
                                           const std::optional<EncryptionKey>& key = std::nullopt);

}  // namespace ronde::checkpoint::detail

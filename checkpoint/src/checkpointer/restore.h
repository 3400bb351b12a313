// The restore protocol (Checkpointer::restore_latest), on every rank:
//  1. Rank 0 lists the committed checkpoints and sends the list; the ranks walk it newest first
//     and take the first that verifies, every rank checking its share of the shards
//     (verify_checkpoint's part `rank` of `size`: each shard is read once in all, the ranks in
//     parallel) and rank 0 combining the shares into the verdict it sends (usable, not usable -
//     with a warning naming the problem - or a rank's storage error). Nothing is loaded before a
//     checkpoint has verified whole, so when none does the state is untouched.
//  2. Every rank reads the chosen manifest and loads its tensors (load_state).
//  3. Every rank reports success or its error to rank 0, which sends the combined outcome back:
//     either every rank returns the step, or every rank throws the same Error naming the rank.
// Step 1 needs no key: verification checks the stored (encrypted) shards. A rank then reads its
// share of the shards to verify them and, in step 2, the pieces it loads: with replicated state
// that is 1/size of the checkpoint plus all of it (rank 0 used to verify the whole checkpoint
// alone, while the others waited). A chosen checkpoint that
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

// persist: steps 2-6 of the commit protocol (checkpointer.h) for one rank's snapshot.
//
// Runs on the background save thread (or the caller's, for a blocking save). Every rank calls it
// for the same save; it always completes the message exchange, even when this rank's upload
// failed, so that no rank waits forever. Returns the committed checkpoint's id on every rank, or
// throws the same Error on every rank (naming the failing rank and, through the storage's message,
// the key). After a failure each rank has removed (best effort) the shards it wrote.
#pragma once

#include "checkpointer/root_channel.h"
#include "checkpointer/snapshot.h"
#include "ronde/checkpoint/manifest.h"
#include "ronde/checkpoint/storage.h"
#include "ronde/core/logging.h"

namespace ronde::checkpoint::detail {

CheckpointId persist(Storage& storage, RootChannel& channel, const Logger& log, const Snapshot& snapshot);

}  // namespace ronde::checkpoint::detail

// One operation the caller enqueued, as the engine's thread carries it from the submission queue
// through negotiation to its collective.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "engine/handle_state.h"
#include "engine/messages.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/core/tensor.h"

namespace ronde::engine {

struct Operation {
  Request request;                      // what this rank asks for (negotiated under request.name)
  Tensor input;
  Tensor output;                        // allreduce, reducescatter (broadcast: input itself)
  AllocateOutput allocate;              // allgather, alltoall
  std::vector<std::int64_t> splits;     // alltoall: rows this rank sends to each rank
  std::shared_ptr<Handle::State> state;
  std::chrono::steady_clock::time_point enqueued;
  std::optional<std::size_t> cache_slot;  // set while it waits on the response cache
};

using OperationPtr = std::unique_ptr<Operation>;

}  // namespace ronde::engine

// Runs a cycle's agreed operations: plans the fused batches (fusion_plan.h) and runs each batch's
// collective on the engine's own Collectives, in the same order on every rank.
//
// A rank that has joined has no operation for some names: it contributes zeros to their
// allreduces and receives their broadcasts into scratch memory, so the others' collectives
// complete. A collective that throws fails the handles of its batch. Errors that came from the
// collectives' cross-rank argument check (Mismatch, InvalidArgument) were seen by every rank;
// any other failure may be this rank's alone, so it is also kept for take_failure(), which the
// engine reports to rank 0 in the next negotiation so that every rank stops.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/counters.h"
#include "engine/fusion_buffer.h"
#include "engine/fusion_plan.h"
#include "engine/operation.h"
#include "ronde/allreduce/collectives.h"
#include "ronde/allreduce/engine.h"

namespace ronde {
class Timeline;
}

namespace ronde::engine {

// Completes `operation` (nullopt: success) with allgather/alltoall row counts.
using Finish = std::function<void(OperationPtr operation, std::optional<Error> error, std::vector<std::int64_t> rows)>;

class Executor {
 public:
  Executor(Context& context, const EngineOptions& options, Timeline* timeline, Counters& counters);

  // runs[i] is the agreed request of the i-th operation to run; local[i] this rank's operation
  // for it, or null where this rank has joined. Every local operation is finished.
  void run(const std::vector<Request>& runs, std::vector<OperationPtr>& local, const Finish& finish);
  std::optional<std::string> take_failure();

 private:
  void run_batch(const std::vector<const Request*>& requests, const std::vector<Operation*>& operations);
  void run_alone(const Request& request, Operation* operation, std::vector<std::int64_t>& rows);
  void run_fused(const std::vector<const Request*>& requests, const std::vector<Operation*>& operations);
  void phase_begin(const std::vector<Operation*>& operations, const char* phase, const std::string& detail = {});
  void phase_end(const std::vector<Operation*>& operations, const char* phase);

  Context& context_;
  Timeline* timeline_;
  Counters& counters_;
  FusionLimits fusion_limits_;
  Collectives collectives_;
  FusionBuffer fusion_;
  void* cuda_stream_;               // CollectiveOptions::cuda_stream
  std::vector<std::byte> scratch_;  // a joined rank's zeros / received broadcast
  std::optional<std::string> failure_;
};

}  // namespace ronde::engine

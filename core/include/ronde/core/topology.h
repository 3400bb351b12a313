// Where this process sits in the job: global rank and size, its rank among the processes on its
// host (local), and the rank of its host among hosts (cross).
#pragma once

#include <optional>
#include <string>

#include "ronde/core/env.h"

namespace ronde {

enum class TopologySource {
  Single,       // one process, nothing launched it
  Mpi,          // mpirun / an MPI launcher
  Environment,  // RANK / WORLD_SIZE / LOCAL_RANK / LOCAL_WORLD_SIZE, as torchrun sets them
  SageMaker,    // the host list of a SageMaker-style training container, one process per host
};

std::string_view to_string(TopologySource source);

struct Topology {
  int rank = 0;
  int size = 1;
  int local_rank = 0;
  int local_size = 1;
  int cross_rank = 0;  // index of this host among the hosts
  int cross_size = 1;  // number of hosts
  TopologySource source = TopologySource::Single;
  // Rendezvous address for launcher-style environments (MASTER_ADDR:MASTER_PORT), when given.
  std::string master_address;

  // "rank 1/4 (local 1/2, host 0/2, from mpi)"
  std::string describe() const;
  // Throws Error(InvalidArgument) if the numbers contradict each other; `origin` names where they
  // came from in the message.
  void validate(std::string_view origin) const;
};

// The topology described by torchrun-style variables, or nullopt when RANK and WORLD_SIZE are
// both unset. Partial or contradictory variables are an Error naming the variable.
std::optional<Topology> topology_from_launcher_env(const Environment& env);

}  // namespace ronde

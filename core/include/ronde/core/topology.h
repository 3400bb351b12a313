// Where this process sits in the job: global rank and size, its rank among the processes on its
// host (local), and the rank of its host among hosts (cross).
#pragma once

#include <optional>
#include <string>
#include <vector>

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
  // This process's host name and the host name of every rank (index = rank), as far as the
  // launcher tells: MPI gives all of them, SageMaker one per rank, other launchers only this
  // process's own (`hosts` then stays empty). Names are printable ASCII, at most 63 characters.
  std::string host;
  std::vector<std::string> hosts;

  // "rank 1/4 (local 1/2, host 0/2 h1, from mpi)"
  std::string describe() const;
  // "rank 3 (h2)", or "rank 3" when rank 3's host is unknown.
  std::string rank_name(int rank) const;
  // "rank 2 (h2)", "ranks 0-1 (h1), 2, 3 (h2)", or without host names "ranks 0-3"; `ranks` in
  // increasing order. Error messages that name several ranks use it, so that a user sees hosts.
  std::string ranks_phrase(const std::vector<int>& ranks) const;
  // Throws Error(InvalidArgument) if the numbers contradict each other; `origin` names where they
  // came from in the message.
  void validate(std::string_view origin) const;
};

// The topology described by torchrun-style variables, or nullopt when RANK and WORLD_SIZE are
// both unset. Partial or contradictory variables are an Error naming the variable.
std::optional<Topology> topology_from_launcher_env(const Environment& env);

// This machine's host name (gethostname), made printable and at most 63 characters; "" if unknown.
std::string local_host_name();
// `name` reduced to what logs and errors may show of a host name: printable ASCII, at most 63
// characters, anything else replaced by '?'.
std::string printable_host_name(std::string_view name);

}  // namespace ronde

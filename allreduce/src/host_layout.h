// How the ranks of a job sit on its hosts, as the hierarchical collectives need it: the ranks
// that share this host (the local group) and, for this rank's position on its host, the rank in
// that position on every host (the cross group).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ronde/core/topology.h"

namespace ronde {

struct HostLayout {
  int hosts = 1;            // H
  int ranks_per_host = 1;   // L
  int host_index = 0;       // this rank's host among the H, in order of their lowest rank
  int local_index = 0;      // this rank's position among its host's ranks, in rank order
  std::vector<int> local_ranks;  // the L ranks on this host (global ranks), in rank order
  std::vector<int> cross_ranks;  // the rank at position local_index on each host, in host order
  std::vector<std::vector<int>> ranks_of_host;  // every host's L ranks, hosts in order

  // The layout from the topology's host names. Fails (nullopt, with the reason in `why`) when
  // the host of some rank is unknown or the hosts run different numbers of ranks: the
  // hierarchical algorithms need the same L everywhere.
  static std::optional<HostLayout> of(const Topology& topology, std::string& why);
};

}  // namespace ronde

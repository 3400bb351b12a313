#include "host_layout.h"

#include <algorithm>

namespace ronde {

std::optional<HostLayout> HostLayout::of(const Topology& topology, std::string& why) {
  HostLayout layout;
  if (topology.size == 1) {
    layout.local_ranks = layout.cross_ranks = {0};
    layout.ranks_of_host = {{0}};
    return layout;
  }
  if (static_cast<int>(topology.hosts.size()) != topology.size) {
    why = "the launcher did not say which host each rank runs on";
    return std::nullopt;
  }
  // Hosts in order of their lowest rank; each host's ranks in rank order.
  std::vector<std::string> names;
  std::vector<std::vector<int>> ranks_of_host;
  for (int rank = 0; rank < topology.size; ++rank) {
    const std::string& name = topology.hosts[static_cast<std::size_t>(rank)];
    const auto found = std::find(names.begin(), names.end(), name);
    if (found == names.end()) {
      names.push_back(name);
      ranks_of_host.push_back({rank});
    } else {
      ranks_of_host[static_cast<std::size_t>(found - names.begin())].push_back(rank);
    }
  }
  for (std::size_t h = 1; h < ranks_of_host.size(); ++h) {
    if (ranks_of_host[h].size() != ranks_of_host[0].size()) {
      why = "host " + names[0] + " runs " + std::to_string(ranks_of_host[0].size()) + " rank(s) but host " + names[h] +
            " runs " + std::to_string(ranks_of_host[h].size());
      return std::nullopt;
    }
  }
  layout.hosts = static_cast<int>(names.size());
  layout.ranks_per_host = static_cast<int>(ranks_of_host[0].size());
  for (std::size_t h = 0; h < ranks_of_host.size(); ++h) {
    const auto& ranks = ranks_of_host[h];
    const auto mine = std::find(ranks.begin(), ranks.end(), topology.rank);
    if (mine == ranks.end()) continue;
    layout.host_index = static_cast<int>(h);
    layout.local_index = static_cast<int>(mine - ranks.begin());
    layout.local_ranks = ranks;
  }
  for (const auto& ranks : ranks_of_host) layout.cross_ranks.push_back(ranks[static_cast<std::size_t>(layout.local_index)]);
  layout.ranks_of_host = std::move(ranks_of_host);
  return layout;
}

}  // namespace ronde

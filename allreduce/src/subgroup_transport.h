// A Transport over some of another transport's ranks: rank i of the subgroup is members[i] of
// the parent. The hierarchical collectives run their intra-host and inter-host steps over two such
// views of the job's transport. Two ranks are never in the same local group and the same cross
// group, so the views' messages between any two ranks never share a stream.
#pragma once

#include <vector>

#include "ronde/core/transport.h"

namespace ronde {

class SubgroupTransport final : public Transport {
 public:
  // `members` are parent ranks in subgroup order and include the parent's own rank. `parent`
  // must outlive this view.
  SubgroupTransport(Transport& parent, std::vector<int> members);
  int rank() const override { return rank_; }
  int size() const override { return static_cast<int>(members_.size()); }
  std::unique_ptr<Transfer> send(int peer, const void* data, std::size_t bytes, Tag tag) override;
  std::unique_ptr<Transfer> recv(int peer, void* data, std::size_t bytes, Tag tag) override;
  std::unique_ptr<Transfer> recv_up_to(int peer, void* data, std::size_t capacity, Tag tag,
                                       std::size_t& received) override;
  std::size_t eager_limit_between_hosts() const override { return parent_.eager_limit_between_hosts(); }

 private:
  Transport& parent_;
  std::vector<int> members_;
  int rank_ = 0;
};

}  // namespace ronde

#include "subgroup_transport.h"

#include <algorithm>
#include <string>

#include "ronde/core/error.h"

namespace ronde {

SubgroupTransport::SubgroupTransport(Transport& parent, std::vector<int> members)
    : parent_(parent), members_(std::move(members)) {
  const auto mine = std::find(members_.begin(), members_.end(), parent.rank());
  if (mine == members_.end()) {
    throw Error(ErrorCode::Internal, "subgroup transport: rank " + std::to_string(parent.rank()) + " is not a member");
  }
  rank_ = static_cast<int>(mine - members_.begin());
}

std::unique_ptr<Transfer> SubgroupTransport::send(int peer, const void* data, std::size_t bytes, Tag tag) {
  return parent_.send(members_.at(static_cast<std::size_t>(peer)), data, bytes, tag);
}

std::unique_ptr<Transfer> SubgroupTransport::recv(int peer, void* data, std::size_t bytes, Tag tag) {
  return parent_.recv(members_.at(static_cast<std::size_t>(peer)), data, bytes, tag);
}

std::unique_ptr<Transfer> SubgroupTransport::recv_up_to(int peer, void* data, std::size_t capacity, Tag tag,
                                                        std::size_t& received) {
  return parent_.recv_up_to(members_.at(static_cast<std::size_t>(peer)), data, capacity, tag, received);
}

}  // namespace ronde

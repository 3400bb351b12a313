#include "checkpointer/root_channel.h"

#include <cstdint>

namespace ronde::checkpoint::detail {

void RootChannel::send(int peer, const std::string& message) {
  const std::uint64_t length = message.size();
  auto header = transport_->send(peer, &length, sizeof length, Tag::Checkpoint);
  header->wait();
  if (length > 0) transport_->send(peer, message.data(), message.size(), Tag::Checkpoint)->wait();
}

std::string RootChannel::recv(int peer) {
  std::uint64_t length = 0;
  transport_->recv(peer, &length, sizeof length, Tag::Checkpoint)->wait();
  std::string message(length, '\0');
  if (length > 0) transport_->recv(peer, message.data(), message.size(), Tag::Checkpoint)->wait();
  return message;
}

std::vector<std::string> RootChannel::gather(std::string message) {
  if (rank() != 0) {
    send(0, message);
    return {};
  }
  std::vector<std::string> messages(static_cast<std::size_t>(size()));
  messages[0] = std::move(message);
  for (int peer = 1; peer < size(); ++peer) messages[static_cast<std::size_t>(peer)] = recv(peer);
  return messages;
}

std::string RootChannel::broadcast(std::string message) {
  if (rank() != 0) return recv(0);
  for (int peer = 1; peer < size(); ++peer) send(peer, message);
  return message;
}

}  // namespace ronde::checkpoint::detail

#include "engine/control_channel.h"

#include <memory>

#include "ronde/core/transport.h"

namespace ronde::engine {

namespace {

CollectiveOptions control_options() {
  CollectiveOptions options;  // defaults, not the environment: control traffic is tiny
  options.verify_arguments = false;
  return options;
}

// Messages travel as a length (8 bytes) and then the bytes, both on `tag`; same-tag messages
// between two ranks arrive in order.
void send_message(Transport& transport, int peer, const std::vector<std::byte>& message, Tag tag) {
  const std::uint64_t length = message.size();
  auto header = transport.send(peer, &length, sizeof(length), tag);
  auto body = transport.send(peer, message.data(), message.size(), tag);
  header->wait();
  body->wait();
}

std::vector<std::byte> recv_message(Transport& transport, int peer, Tag tag) {
  std::uint64_t length = 0;
  transport.recv(peer, &length, sizeof(length), tag)->wait();
  std::vector<std::byte> message(static_cast<std::size_t>(length));
  transport.recv(peer, message.data(), message.size(), tag)->wait();
  return message;
}

}  // namespace

ControlChannel::ControlChannel(Context& context) : context_(context), collectives_(context, control_options()) {}

std::vector<std::uint8_t> ControlChannel::allreduce_min(std::vector<std::uint8_t> values) {
  if (context_.size() > 1) collectives_.allreduce(Tensor::of(values), ReduceOp::Min);
  return values;
}

std::vector<std::vector<std::byte>> ControlChannel::gather(std::vector<std::byte> mine) {
  Transport& transport = context_.transport();
  if (context_.rank() != 0) {
    send_message(transport, 0, mine, Tag::EngineRequest);
    return {};
  }
  std::vector<std::vector<std::byte>> all(static_cast<std::size_t>(context_.size()));
  all[0] = std::move(mine);
  for (int rank = 1; rank < context_.size(); ++rank) all[static_cast<std::size_t>(rank)] = recv_message(transport, rank, Tag::EngineRequest);
  return all;
}

std::vector<std::byte> ControlChannel::broadcast(std::vector<std::byte> message) {
  Transport& transport = context_.transport();
  if (context_.rank() != 0) return recv_message(transport, 0, Tag::EngineResponse);
  // Post every send, then wait: no rank waits on another's delivery.
  const std::uint64_t length = message.size();
  std::vector<std::unique_ptr<Transfer>> sends;
  for (int rank = 1; rank < context_.size(); ++rank) {
    sends.push_back(transport.send(rank, &length, sizeof(length), Tag::EngineResponse));
    sends.push_back(transport.send(rank, message.data(), message.size(), Tag::EngineResponse));
  }
  for (auto& send : sends) send->wait();
  return message;
}

}  // namespace ronde::engine

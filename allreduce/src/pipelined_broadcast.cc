// Pipelined chain broadcast.
//
// Ranks are visited in ring order starting at the root: position p = (rank - root) mod n. The
// root cuts the buffer into segments and sends them all to position 1; every other position
// receives each segment straight into place and, unless it is the last, forwards it right at
// once. With S segments the last rank finishes after about (n - 1 + S) segment times instead of
// (n - 1) * S, so large buffers move at link bandwidth whatever the rank count.
#include "pipelined_broadcast.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <vector>

namespace ronde {

void pipelined_broadcast(Transport& transport, void* data, std::size_t bytes, int root, const RingOptions& options) {
  const int n = transport.size();
  const int rank = transport.rank();
  if (n == 1 || bytes == 0) return;
  const int position = (rank - root + n) % n;
  const int right = (rank + 1) % n;
  const int left = (rank + n - 1) % n;
  auto* buffer = static_cast<std::byte*>(data);
  const std::size_t segment = std::max<std::size_t>(1, options.segment_bytes);
  const std::size_t segments = (bytes + segment - 1) / segment;
  auto length = [&](std::size_t index) { return std::min(segment, bytes - index * segment); };

  std::vector<std::unique_ptr<Transfer>> sends;
  if (position == 0) {
    for (std::size_t i = 0; i < segments; ++i) {
      sends.push_back(transport.send(right, buffer + i * segment, length(i), Tag::Broadcast));
    }
  } else {
    const std::size_t depth = static_cast<std::size_t>(std::max(2, options.pipeline_depth));
    std::deque<std::unique_ptr<Transfer>> receives;
    std::size_t next_to_post = 0;
    auto post = [&] {
      receives.push_back(transport.recv(left, buffer + next_to_post * segment, length(next_to_post), Tag::Broadcast));
      ++next_to_post;
    };
    while (next_to_post < std::min(depth, segments)) post();
    for (std::size_t i = 0; i < segments; ++i) {
      receives.front()->wait();
      receives.pop_front();
      if (position < n - 1) sends.push_back(transport.send(right, buffer + i * segment, length(i), Tag::Broadcast));
      if (next_to_post < segments) post();
    }
  }
  for (auto& send : sends) send->wait();
}

}  // namespace ronde

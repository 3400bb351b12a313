// Ring allreduce, pipelined by segments — and its two halves, reduce-scatter and allgather, which
// are the same machinery with one phase left out and the chunks rotated by one (see `rotation`).
//
// The n ranks form a ring; rank r sends only to its right neighbour (r+1) and receives only from
// its left one (r-1). The buffer is cut into n chunks (EvenPartition), chunk c of size ~count/n.
//
// Reduce-scatter, steps s = 0 .. n-2:  rank r sends chunk (r - s) and receives chunk (r - s - 1),
//   which it combines with its own copy. The chunk received at step s is exactly the one it sends
//   at step s+1, so after n-1 steps chunk (r + 1) holds the contributions of all n ranks: rank r
//   "owns" the finished chunk r+1.
// Allgather, steps s = 0 .. n-2:  rank r sends chunk (r + 1 - s) and receives chunk (r - s),
//   already final, straight into the output. Again what arrives at step s leaves at step s+1.
// (All chunk indices are mod n.)
//
// So every message rank r receives is, after local work, the message it sends next: the whole
// algorithm is one stream of segments flowing around the ring. We cut each chunk into segments
// of `segment_bytes` and process the incoming stream in order: wait for segment i, reduce it
// (while the next `depth - 1` segments are already in flight), forward it right. Only the first
// chunk, rank r's own chunk r, is sent without having been received: from the input, before the
// loop. Both ends of every link derive the same segment list from (count, n), and same-tag
// messages between two ranks arrive in order, so message k on a link is segment k of the
// receiver's list.
//
// Memory:
//  - Reduce-scatter segments land in `depth` scratch slots, then out = in (op) slot.
//  - Allgather segments land in the output directly. Their region of the output must be free
//    first: its reduce-scatter work for chunk c must be done (with one segment per chunk the
//    allgather receive for c can be fewer than `depth` entries after it), and every send that
//    reads that segment must have completed (it left during the reduce-scatter, or in the
//    in-place case from the input at the start). So an allgather receive is posted only once the
//    local processing has passed the last reduction of its chunk, and waits for the pending
//    sends of the same segment. (Not of the whole chunk: the forward of the allgather segment
//    just before it reads the same chunk, and the right neighbour needs that message only much
//    later — waiting for it would close a cycle around the ring.)
//  - Out of place works for free: every chunk but r is written by a reduction, chunk r by the
//    allgather.
// Rotation: as described, rank r ends the reduce-scatter owning chunk r + 1. The reduce-scatter
// and allgather collectives want rank r to own chunk r, so they shift every chunk index by
// rotation = -1 (first send: chunk r - 1; last reduction: chunk r; allgather: rank r starts with
// chunk r and receives chunk r - s - 1 at step s).
//
// Send window: the first chunk alone is n-1 of every n segments' worth of sends that could be
// posted at once, and a transport over TCP queues their bytes in front of its own small control
// messages (Open MPI's rendezvous acknowledgements travel on the same connection, behind up to
// megabytes of the sender's data), so the right neighbour waited for acknowledgements while the
// link idled: 0.53 of a 2 Gbit/s link between two hosts. So sends go through a FIFO queue, in the
// order the right neighbour's stream expects them, and at most `send_window` are posted and not
// yet complete; the rest are posted as earlier ones complete, also while this rank waits for a
// receive (it polls both). Before an allgather receive into the output is posted every queued
// send is posted, since one may read the region the receive will overwrite.
// It cannot deadlock: a send completes once the right neighbour has posted the matching receive,
// and while the right neighbour waits for entry k it has posted the receives of every entry up to
// k, so all sends older than k complete, the window drains, and this rank (polling) posts k.
//
// Progress: the sends a rank waits for before posting an allgather receive are messages its right
// neighbour needs earlier in its own stream than the entry this rank is about to post, so a
// chain of ranks each waiting on its right neighbour would need ever-smaller stream positions
// around the ring: it cannot close into a cycle, and the ring cannot deadlock.
#include "ring_allreduce.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
#include <thread>

#include "ring_partition.h"

namespace ronde {

namespace {

// One segment of the incoming stream and what to do when it arrives.
struct Incoming {
  Segment segment;
  bool reduce;   // reduce-scatter: combine with the local input; otherwise allgather: already final
  bool last_reduction;  // this completes the chunk this rank owns (apply Average's division)
  bool forward;  // send it on to the right neighbour afterwards
  std::size_t ready_after;  // allgather: index of the last reduce-scatter entry of this chunk + 1
};

struct PendingSend {
  std::unique_ptr<Transfer> transfer;
  Segment segment;
  bool reads_output;  // the send reads the output buffer (not a separate input)
};

bool overlaps(const Segment& a, const Segment& b) {
  return a.begin < b.begin + b.count && b.begin < a.begin + a.count;
}

std::size_t ring_index(long long index, int n) { return static_cast<std::size_t>(((index % n) + n) % n); }

// Which phases run and how chunk indices are shifted (see "Rotation" above).
struct RingPlan {
  bool reduce_scatter;
  bool allgather;
  int rotation;
  // Allgather alone: this rank's contribution, sent straight from here and copied into its
  // chunk of the output while the first sends are in flight (null: it is already in place).
  const std::byte* own_chunk = nullptr;
};

std::vector<Incoming> incoming_stream(int rank, int n, const Partition& chunks, std::size_t segment_elems,
                                      const RingPlan& plan) {
  std::vector<Incoming> stream;
  std::vector<Segment> segments;
  std::vector<std::size_t> reduced_by(static_cast<std::size_t>(n), 0);  // per chunk
  for (int step = 0; plan.reduce_scatter && step < n - 1; ++step) {  // chunk r - s - 1 arrives
    segments.clear();
    const std::size_t chunk = ring_index(rank - step - 1 + plan.rotation, n);
    append_segments(chunks, chunk, segment_elems, segments);
    const bool last = step == n - 2;
    for (const Segment& segment : segments) {
      // The owned chunk leaves right after its last reduction: it is allgather step 0's send.
      stream.push_back({segment, true, last, !last || plan.allgather, 0});
    }
    reduced_by[chunk] = stream.size();
  }
  for (int step = 0; plan.allgather && step < n - 1; ++step) {  // chunk r - s arrives, final
    segments.clear();
    const std::size_t chunk = ring_index(rank - step + plan.rotation, n);
    append_segments(chunks, chunk, segment_elems, segments);
    for (const Segment& segment : segments) stream.push_back({segment, false, false, step < n - 2, reduced_by[chunk]});
  }
  return stream;
}

// The ring itself. `in` is only read by the reduce-scatter; with the allgather alone, the rank's
// own chunk is already in `out`.
void run_ring(Transport& transport, const void* in, void* out, const Partition& chunks, DType dtype, ReduceOp op,
              const RingPlan& plan, const RingOptions& options, std::vector<std::byte>& scratch) {
  const int n = transport.size();
  const int rank = transport.rank();
  const std::size_t element = dtype_size(dtype);
  const auto* input = plan.reduce_scatter ? static_cast<const std::byte*>(in) : static_cast<const std::byte*>(out);
  auto* output = static_cast<std::byte*>(out);
  const int right = (rank + 1) % n;
  const int left = (rank + n - 1) % n;
  const std::size_t segment_elems = std::max<std::size_t>(1, options.segment_bytes / element);
  const std::size_t depth = static_cast<std::size_t>(std::max(2, options.pipeline_depth));
  const std::vector<Incoming> stream = incoming_stream(rank, n, chunks, segment_elems, plan);
  const std::size_t slot_bytes = segment_elems * element;
  if (plan.reduce_scatter && scratch.size() < depth * slot_bytes) scratch.resize(depth * slot_bytes);
  auto slot = [&](std::size_t index) { return scratch.data() + (index % depth) * slot_bytes; };

  std::deque<PendingSend> sends;
  // Sends in the order the right neighbour's stream expects them, posted a window at a time (see
  // "Send window" above); `all` posts every queued one regardless.
  struct QueuedSend {
    const std::byte* bytes;  // the segment's first byte
    Segment segment;
    bool reads_output;
  };
  std::deque<QueuedSend> to_send;
  const auto window = static_cast<std::size_t>(std::max(0, options.send_window));  // 0: no limit
  auto post_queued = [&](bool all) {
    while (!sends.empty() && sends.front().transfer->test()) sends.pop_front();
    while (!to_send.empty() && (all || window == 0 || sends.size() < window)) {
      const QueuedSend& next = to_send.front();
      sends.push_back({transport.send(right, next.bytes, next.segment.count * element, Tag::Allreduce), next.segment,
                       next.reads_output});
      to_send.pop_front();
    }
  };
  auto send = [&](const std::byte* data, const Segment& segment, bool reads_output) {
    to_send.push_back({data + segment.begin * element, segment, reads_output});
    post_queued(false);
  };
  // Waits (oldest first) until no pending send reads the output where `target` will be written.
  auto wait_sends_reading = [&](const Segment& target) {
    auto last = std::find_if(sends.rbegin(), sends.rend(),
                             [&](const PendingSend& s) { return s.reads_output && overlaps(s.segment, target); });
    for (auto waiting = sends.rend() - last; waiting > 0; --waiting) {
      sends.front().transfer->wait();
      sends.pop_front();
    }
  };
  // The first sends: reduce-scatter step 0 sends this rank's chunk of the input; an allgather
  // alone starts with the chunk this rank owns.
  std::vector<Segment> own;
  const std::size_t first_chunk = ring_index(plan.reduce_scatter ? rank + plan.rotation : rank + 1 + plan.rotation, n);
  append_segments(chunks, first_chunk, segment_elems, own);
  if (plan.own_chunk != nullptr) {
    // From the caller's separate buffer (offsets relative to the chunk's start), then into place.
    const std::size_t chunk_begin = chunks.begin(first_chunk);
    for (const Segment& segment : own) {
      to_send.push_back({plan.own_chunk + (segment.begin - chunk_begin) * element, segment, false});
    }
    post_queued(false);
  } else {
    for (const Segment& segment : own) send(input, segment, input == output);
  }
  auto post_receive = [&](std::size_t index) {
    const Segment& segment = stream[index].segment;
    std::byte* target = slot(index);
    if (!stream[index].reduce) {
      post_queued(true);  // a queued send may read `target`
      wait_sends_reading(segment);
      target = output + segment.begin * element;
    }
    return transport.recv(left, target, segment.count * element, Tag::Allreduce);
  };

  // Keeps up to `depth` receives posted ahead of entry `processed`, the first not yet handled.
  std::deque<std::unique_ptr<Transfer>> receives;
  std::size_t next_to_post = 0;
  auto post_ahead = [&](std::size_t processed) {
    while (next_to_post < stream.size() && next_to_post < processed + depth &&
           stream[next_to_post].ready_after <= processed) {
      receives.push_back(post_receive(next_to_post++));
    }
  };
  post_ahead(0);
  // Receives are posted (allgather receives never land in this rank's own chunk): copy the own
  // chunk into place while the peers' transfers run.
  if (plan.own_chunk != nullptr && chunks.size(first_chunk)) {
    std::memcpy(output + chunks.begin(first_chunk) * element, plan.own_chunk, chunks.size(first_chunk) * element);
  }

  for (std::size_t index = 0; index < stream.size(); ++index) {
    post_ahead(index);  // a no-op unless an allgather entry was held back
    if (!to_send.empty()) {
      while (!receives.front()->test()) {
        post_queued(false);
        std::this_thread::yield();
      }
    } else {
      receives.front()->wait();
    }
    receives.pop_front();
    const Incoming& message = stream[index];
    std::byte* here = output + message.segment.begin * element;
    if (message.reduce) {
      reduce_elements(op, dtype, input + message.segment.begin * element, slot(index), here, message.segment.count);
      if (message.last_reduction && op == ReduceOp::Average) divide_elements(dtype, here, message.segment.count, n);
    }
    if (message.forward) send(output, message.segment, true);
    post_ahead(index + 1);
    post_queued(false);
  }
  post_queued(true);
  for (PendingSend& pending : sends) pending.transfer->wait();
}


}  // namespace

void ring_allreduce(Transport& transport, const void* in, void* out, std::size_t count, DType dtype,
                    ReduceOp op, const RingOptions& options, std::vector<std::byte>& scratch) {
  if (count == 0) return;
  if (transport.size() == 1) {
    if (in != out) std::memcpy(out, in, count * dtype_size(dtype));
    return;  // Average over one rank is the identity
  }
  run_ring(transport, in, out, Partition::even(count, static_cast<std::size_t>(transport.size())), dtype, op,
           RingPlan{true, true, 0}, options, scratch);
}

void ring_reduce_scatter(Transport& transport, const void* in, void* work, const Partition& chunks, DType dtype,
                         ReduceOp op, const RingOptions& options, std::vector<std::byte>& scratch) {
  if (transport.size() == 1) {
    if (in != work && chunks.total()) std::memcpy(work, in, chunks.total() * dtype_size(dtype));
    return;
  }
  run_ring(transport, in, work, chunks, dtype, op, RingPlan{true, false, -1}, options, scratch);
}

void ring_allgather(Transport& transport, const void* own, void* buffer, const Partition& chunks, DType dtype,
                    const RingOptions& options) {
  const auto* own_bytes = static_cast<const std::byte*>(own);
  auto* out = static_cast<std::byte*>(buffer);
  const auto rank = static_cast<std::size_t>(transport.rank());
  const std::size_t element = dtype_size(dtype);
  const bool in_place = own_bytes == out + chunks.begin(rank) * element;
  if (transport.size() == 1) {
    if (!in_place && chunks.size(rank)) std::memcpy(out + chunks.begin(rank) * element, own_bytes, chunks.size(rank) * element);
    return;
  }
  std::vector<std::byte> unused;  // the allgather reduces nothing, so it needs no receive slots
  run_ring(transport, buffer, buffer, chunks, dtype, ReduceOp::Sum, RingPlan{false, true, -1, in_place ? nullptr : own_bytes},
           options, unused);
}

}  // namespace ronde

// Hierarchical allreduce over H hosts of L ranks each (n = H x L), for a buffer of N bytes:
//
//  1. Intra-host reduce-scatter through shared memory. The buffer is cut into L shares; local
//     rank l owns share l. In rounds, every rank copies a piece of each share it does not own into
//     its slot of the host's shared segment, and after a barrier rank l combines the pieces of
//     share l from every slot (and its own input) into share l of its output.
//  2. Inter-host ring allreduce of share l among the H ranks at position l (the cross group). The
//     L rings run at once, each over its own connections, each on N/L bytes.
//  3. Intra-host allgather through shared memory: in rounds, rank l copies a piece of its finished
//     share into its slot, and after a barrier every rank copies the other shares' pieces out.
//
// Bytes per host link and direction: the flat ring sends 2(n-1)/n x N over the link between two
// hosts; here the L rings together send L x 2(H-1)/H x N/L = 2(H-1)/H x N. With 2 hosts of 2 ranks
// that is N instead of 1.5 N. The price is local copying: each rank moves about 4.5 N bytes
// through memory, but every rank of a host copies at once, so on one host alone the two
// shared-memory steps beat the ring's messages too (2 ranks, 64 MiB: about 1.8x).
//
// Hierarchical allgather: the H ranks at position l gather their chunks with one ring across hosts
// (every host's link carries L x (H-1) chunks instead of the flat ring's n-1), then, in rounds of
// slots, each rank shares what its ring gathered (its "stream": the chunks of the ranks at its
// position, in host order) with the other ranks of its host, who copy it into place.
//
// Hierarchical broadcast from rank `root` at position p of host h: the ranks at position p chain
// the buffer across hosts from host h (every host's link carries it once, as in the flat chain),
// then on every host the rank at position p shares it through the segment, in rounds of all of
// one parity's slots at once, while the other ranks copy it out.
//
// Every rank gets the same bits: each element of share l is combined once on its host's rank l
// (in slot order), once per link by the cross ring (which computes each result once), and then
// only copied. Average runs as Sum and divides share l by n before the allgather.
//
// Slots are double-buffered: round k writes and reads the slots of parity k % 2. Writing parity p
// again in round k + 2 is safe because every rank has passed the barrier of round k + 1, which it
// reaches only after its reads of round k. The round count carries over from call to call, so
// consecutive calls need no extra barrier.
#include "hierarchical_collectives.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "dissemination_barrier.h"
#include "ring_partition.h"

namespace ronde {

namespace {

// The length of the piece [begin, begin + piece) of something `total` long: 0 once begin is past it.
std::size_t piece_length(std::size_t begin, std::size_t piece, std::size_t total) {
  return std::min(piece, total - std::min(begin, total));
}

}  // namespace

std::unique_ptr<HierarchicalCollectives> HierarchicalCollectives::make(Transport& transport, const Topology& topology,
                                                                     const HostLayout& layout, std::size_t slot_bytes,
                                                                     std::string& why) {
  std::unique_ptr<HierarchicalCollectives> made(new HierarchicalCollectives(transport, layout, slot_bytes));
  const std::size_t bytes = 2 * static_cast<std::size_t>(layout.ranks_per_host) * made->slot_bytes_;
  made->segment_ = SharedSegment::open(made->local_, transport, topology, bytes, why);
  if (!made->segment_) return nullptr;
  return made;
}

HierarchicalCollectives::HierarchicalCollectives(Transport& transport, const HostLayout& layout, std::size_t slot_bytes)
    : layout_(layout),
      local_(transport, layout.local_ranks),
      cross_(transport, layout.cross_ranks),
      // Whole cache lines, and room for at least one element of every share of any dtype.
      slot_bytes_(std::max<std::size_t>(slot_bytes, 64 * static_cast<std::size_t>(layout.ranks_per_host)) / 64 * 64) {}

std::byte* HierarchicalCollectives::slot(int writer) const {
  const std::size_t parity = round_ % 2;
  return segment_->data() + (parity * static_cast<std::size_t>(layout_.ranks_per_host) + static_cast<std::size_t>(writer)) * slot_bytes_;
}

template <class Write, class Read>
void HierarchicalCollectives::round(Write&& write, Read&& read) {
  write();
  std::atomic_thread_fence(std::memory_order_seq_cst);
  dissemination_barrier(local_);
  std::atomic_thread_fence(std::memory_order_seq_cst);
  read();
  ++round_;
}

void HierarchicalCollectives::allreduce(const void* in, void* out, std::size_t count, DType dtype, ReduceOp op,
                                        const RingOptions& ring, std::vector<std::byte>& scratch) {
  const auto* input = static_cast<const std::byte*>(in);
  auto* output = static_cast<std::byte*>(out);
  const std::size_t element = dtype_size(dtype);
  const int ranks = layout_.ranks_per_host;
  const int me = layout_.local_index;
  const Partition shares = Partition::even(count, static_cast<std::size_t>(ranks));
  const std::size_t largest_share = shares.size(0);  // even(): the first share is never smaller
  const ReduceOp combine = op == ReduceOp::Average ? ReduceOp::Sum : op;
  auto at = [&](std::size_t share, std::size_t offset) { return (shares.begin(share) + offset) * element; };

  // 1. Reduce-scatter: in each round, piece [begin, begin + piece) of every share.
  const std::size_t region = slot_bytes_ / static_cast<std::size_t>(ranks) / element;  // elements per share
  for (std::size_t begin = 0; begin < largest_share; begin += region) {
    round(
        [&] {
          for (int share = 0; share < ranks; ++share) {
            const std::size_t length = piece_length(begin, region, shares.size(share));
            if (share != me && length) {
              std::memcpy(slot(me) + share * region * element, input + at(share, begin), length * element);
            }
          }
        },
        [&] {
          const auto mine = static_cast<std::size_t>(me);
          const std::size_t length = piece_length(begin, region, shares.size(mine));
          if (!length) return;
          std::byte* target = output + at(mine, begin);
          const std::byte* own = input + at(mine, begin);
          bool first = true;
          for (int writer = 0; writer < ranks; ++writer) {
            if (writer == me) continue;
            reduce_elements(combine, dtype, first ? own : target, slot(writer) + mine * region * element, target, length);
            first = false;
          }
          if (first && target != own) std::memcpy(target, own, length * element);  // L == 1
        });
  }

  // 2. The ring across hosts on this rank's share.
  const auto mine = static_cast<std::size_t>(me);
  if (layout_.hosts > 1 && shares.size(mine)) {
    ring_allreduce(cross_, output + at(mine, 0), output + at(mine, 0), shares.size(mine), dtype, combine, ring, scratch);
  }
  if (op == ReduceOp::Average) divide_elements(dtype, output + at(mine, 0), shares.size(mine), layout_.hosts * ranks);

  // 3. Allgather: in each round, piece [begin, begin + piece) of every share.
  const std::size_t piece = slot_bytes_ / element;
  for (std::size_t begin = 0; begin < largest_share && ranks > 1; begin += piece) {
    round(
        [&] {
          const std::size_t length = piece_length(begin, piece, shares.size(mine));
          if (length) std::memcpy(slot(me), output + at(mine, begin), length * element);
        },
        [&] {
          for (int writer = 0; writer < ranks; ++writer) {
            const auto share = static_cast<std::size_t>(writer);
            const std::size_t length = piece_length(begin, piece, shares.size(share));
            if (writer != me && length) std::memcpy(output + at(share, begin), slot(writer), length * element);
          }
        });
  }
}

void HierarchicalCollectives::allgather(const void* own, void* output, const std::vector<std::size_t>& bytes_of,
                                        const RingOptions& ring, std::vector<std::byte>& work) {
  auto* out = static_cast<std::byte*>(output);
  const int ranks = layout_.ranks_per_host;
  const int me = layout_.local_index;
  std::vector<std::size_t> offset_of(bytes_of.size(), 0);
  for (std::size_t r = 1; r < bytes_of.size(); ++r) offset_of[r] = offset_of[r - 1] + bytes_of[r - 1];
  // The stream of position w: the chunks of the ranks at position w, host by host.
  auto stream_of = [&](int position) {
    std::vector<std::size_t> sizes;
    for (const auto& host : layout_.ranks_of_host) sizes.push_back(bytes_of[static_cast<std::size_t>(host[static_cast<std::size_t>(position)])]);
    return Partition::from_sizes(sizes);
  };
  // Copies bytes [begin, begin + length) of position w's stream from `source` to their places.
  auto place = [&](int position, const Partition& stream, std::size_t begin, std::size_t length, const std::byte* source) {
    for (std::size_t host = 0; host < stream.parts() && length; ++host) {
      const std::size_t chunk_end = stream.begin(host) + stream.size(host);
      if (begin >= chunk_end) continue;
      const std::size_t within = begin - stream.begin(host), take = std::min(length, chunk_end - begin);
      const auto rank = static_cast<std::size_t>(layout_.ranks_of_host[host][static_cast<std::size_t>(position)]);
      std::memcpy(out + offset_of[rank] + within, source, take);
      source += take, begin += take, length -= take;
    }
  };

  // 1. The ring across hosts gathers this position's stream into `work`. On one host the stream
  //    is this rank's own chunk: it is shared straight from `own`.
  const Partition mine = stream_of(me);
  const std::byte* gathered = static_cast<const std::byte*>(own);
  if (layout_.hosts > 1) {
    if (work.size() < mine.total()) work.resize(mine.total());
    ring_allgather(cross_, own, work.data(), mine, DType::U8, ring);
    gathered = work.data();
  }
  const auto my_rank = static_cast<std::size_t>(layout_.local_ranks[static_cast<std::size_t>(me)]);
  if (gathered != out + offset_of[my_rank]) place(me, mine, 0, mine.total(), gathered);  // else: in place

  // 2. Rounds of slots: every rank shares a piece of its stream, and copies the others' into place.
  std::vector<Partition> streams;
  std::size_t longest = 0;
  for (int position = 0; position < ranks; ++position) {
    streams.push_back(stream_of(position));
    longest = std::max(longest, streams.back().total());
  }
  for (std::size_t begin = 0; begin < longest && ranks > 1; begin += slot_bytes_) {
    round(
        [&] {
          const std::size_t length = piece_length(begin, slot_bytes_, mine.total());
          if (length) std::memcpy(slot(me), gathered + begin, length);
        },
        [&] {
          for (int writer = 0; writer < ranks; ++writer) {
            const Partition& stream = streams[static_cast<std::size_t>(writer)];
            const std::size_t length = piece_length(begin, slot_bytes_, stream.total());
            if (writer != me && length) place(writer, stream, begin, length, slot(writer));
          }
        });
  }
}

void HierarchicalCollectives::broadcast(void* data, std::size_t bytes, int root, const RingOptions& chain) {
  auto* buffer = static_cast<std::byte*>(data);
  int root_host = 0, source = 0;  // root's host index and position on it
  for (std::size_t host = 0; host < layout_.ranks_of_host.size(); ++host) {
    const auto& ranks = layout_.ranks_of_host[host];
    const auto found = std::find(ranks.begin(), ranks.end(), root);
    if (found != ranks.end()) root_host = static_cast<int>(host), source = static_cast<int>(found - ranks.begin());
  }
  const int me = layout_.local_index;
  if (layout_.hosts > 1 && me == source) pipelined_broadcast(cross_, data, bytes, root_host, chain);

  // The source writes piece k + 1 while the others read piece k, so a buffer is cut into at
  // least 8 pieces (then at most 1/9 of the time is the first write alone), of at least 64 KiB
  // (each round costs a barrier) and at most one parity's L slots, which are contiguous.
  const std::size_t most = slot_bytes_ * static_cast<std::size_t>(layout_.ranks_per_host);
  const std::size_t piece = std::clamp<std::size_t>((bytes / 8 + 63) / 64 * 64, std::min<std::size_t>(64 * 1024, most), most);
  for (std::size_t begin = 0; begin < bytes && layout_.ranks_per_host > 1; begin += piece) {
    const std::size_t length = piece_length(begin, piece, bytes);
    round([&] { if (me == source) std::memcpy(slot(0), buffer + begin, length); },
          [&] { if (me != source) std::memcpy(buffer + begin, slot(0), length); });
  }
}

}  // namespace ronde

// How the ring algorithms cut a buffer: into one chunk per rank, and each chunk into segments.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

namespace ronde {

// A buffer of elements cut into consecutive chunks, one per rank; chunks may be empty.
class Partition {
 public:
  // `count` elements in `parts` chunks whose sizes differ by at most one: the first
  // (count % parts) chunks get one extra element.
  static Partition even(std::size_t count, std::size_t parts) {
    std::vector<std::size_t> sizes(parts, count / parts);
    for (std::size_t part = 0; part < count % parts; ++part) ++sizes[part];
    return from_sizes(sizes);
  }
  static Partition from_sizes(const std::vector<std::size_t>& sizes) {
    Partition partition;
    partition.offsets_.assign(1, 0);
    for (std::size_t size : sizes) partition.offsets_.push_back(partition.offsets_.back() + size);
    return partition;
  }

  std::size_t parts() const { return offsets_.size() - 1; }
  std::size_t begin(std::size_t part) const { return offsets_[part]; }
  std::size_t size(std::size_t part) const { return offsets_[part + 1] - offsets_[part]; }
  std::size_t total() const { return offsets_.back(); }

 private:
  std::vector<std::size_t> offsets_;  // parts() + 1 entries, offsets_[0] == 0
};

// A piece of the buffer that travels as one message: [begin, begin + count) in elements, inside
// chunk `chunk`.
struct Segment {
  std::size_t chunk;
  std::size_t begin;
  std::size_t count;
};

// Appends the segments of chunk `chunk` (at most `segment_elems` elements each) to `out`.
template <class Out>
void append_segments(const Partition& chunks, std::size_t chunk, std::size_t segment_elems, Out& out) {
  const std::size_t begin = chunks.begin(chunk), end = begin + chunks.size(chunk);
  for (std::size_t at = begin; at < end; at += segment_elems) {
    out.push_back(Segment{chunk, at, std::min(segment_elems, end - at)});
  }
}

}  // namespace ronde

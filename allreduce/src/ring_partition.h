// How the ring algorithms cut a buffer: into one chunk per rank, and each chunk into segments.
#pragma once

#include <algorithm>
#include <cstddef>

namespace ronde {

// `count` elements split into `parts` contiguous chunks whose sizes differ by at most one: the
// first (count % parts) chunks get one extra element. Chunks may be empty when count < parts.
struct EvenPartition {
  std::size_t count;
  std::size_t parts;

  std::size_t size(std::size_t part) const { return count / parts + (part < count % parts ? 1 : 0); }
  std::size_t begin(std::size_t part) const { return part * (count / parts) + std::min(part, count % parts); }
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
void append_segments(const EvenPartition& chunks, std::size_t chunk, std::size_t segment_elems, Out& out) {
  const std::size_t begin = chunks.begin(chunk), end = begin + chunks.size(chunk);
  for (std::size_t at = begin; at < end; at += segment_elems) {
    out.push_back(Segment{chunk, at, std::min(segment_elems, end - at)});
  }
}

}  // namespace ronde

// Byte ranges of gets: the one place that decides what "beyond the object's end" means.
#pragma once

#include <cstdint>
#include <string>

#include "ronde/checkpoint/storage.h"

namespace ronde::checkpoint {

// The number of bytes a get with `options` reads from an object of `size` bytes. An empty range
// at the end (offset == size) is valid; a range reaching past the end is Error(InvalidArgument)
// naming `object_uri`.
std::uint64_t checked_range(const std::string& object_uri, std::uint64_t size, const GetOptions& options);

}  // namespace ronde::checkpoint

#include "storage/range.h"

#include "ronde/core/error.h"

namespace ronde::checkpoint {

std::uint64_t checked_range(const std::string& object_uri, std::uint64_t size, const GetOptions& options) {
  const auto beyond = [&](const std::string& what) {
    return Error(ErrorCode::InvalidArgument, "get " + object_uri + ": " + what + " is beyond the object's end (" +
                                                 std::to_string(size) + " bytes)");
  };
  if (options.offset > size) throw beyond("offset " + std::to_string(options.offset));
  const std::uint64_t available = size - options.offset;
  if (!options.length) return available;
  if (*options.length > available) {
    throw beyond("range " + std::to_string(options.offset) + "+" + std::to_string(*options.length));
  }
  return *options.length;
}

}  // namespace ronde::checkpoint

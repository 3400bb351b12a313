#include "s3/s3_storage.h"

#include <string>

#include "ronde/core/error.h"

namespace ronde::s3 {

// Replaced by the S3 backend.
std::unique_ptr<checkpoint::Storage> open_s3_storage(std::string_view uri, const checkpoint::StorageOptions&,
                                                     const Environment&) {
  throw Error(ErrorCode::Unavailable, "the S3 backend is not built yet: cannot open " + std::string(uri));
}

}  // namespace ronde::s3

// The S3 backend of Storage (see include/ronde/checkpoint/storage.h for the contract).
#pragma once

#include <memory>
#include <string_view>

#include "ronde/checkpoint/storage.h"
#include "ronde/core/env.h"

namespace ronde::s3 {

// Opens "s3://bucket[/prefix][?query]". Configuration: aws/s3_config.h; credentials:
// aws/credentials.h. Does no I/O until the first request.
std::unique_ptr<checkpoint::Storage> open_s3_storage(std::string_view uri, const checkpoint::StorageOptions& options,
                                                     const Environment& env = Environment::process());

}  // namespace ronde::s3

// What the S3 backend's tests share: opening a Storage on a test server with fixed credentials
// (never the process environment), options with short timeouts and retry delays, unique names and
// deterministic test bytes.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ronde/checkpoint/storage.h"

namespace ronde::testing {

constexpr std::size_t kMiB = 1024 * 1024;

// Options for tests: small parts, and backoff and a retry budget short enough that a test of a
// fault that never stops takes a few seconds. A request is taken for stalled after 10 s without
// a byte: moto on a loaded machine can think that long (a listing of 1000 keys took over 1 s).
checkpoint::StorageOptions fast_s3_options();
// fast_s3_options() with a 1 s stall limit, for the tests that inject stalls: three stalled
// attempts fit in the retry budget.
checkpoint::StorageOptions stall_s3_options();

// Opens "s3://<bucket_and_prefix>" on `endpoint` (path addressing, us-east-1) with the given key.
std::unique_ptr<checkpoint::Storage> open_test_s3(const std::string& endpoint, const std::string& bucket_and_prefix,
                                                  const checkpoint::StorageOptions& options,
                                                  const std::string& access_key_id = "testing",
                                                  const std::string& secret_access_key = "testing");

// "stem-<pid>-<counter>": unique within a run and across concurrent runs.
std::string unique_name(std::string_view stem);

// `size` bytes of a fixed pseudo-random pattern (never all zeros), different for each seed.
std::vector<std::byte> test_bytes(std::size_t size, unsigned seed);

}  // namespace ronde::testing

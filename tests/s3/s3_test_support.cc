#include "s3_test_support.h"

#include <unistd.h>

#include <atomic>
#include <random>

#include "ronde/core/env.h"
#include "s3/s3_storage.h"

namespace ronde::testing {

checkpoint::StorageOptions fast_s3_options() {
  checkpoint::StorageOptions options;
  options.multipart_threshold = 6 * kMiB;
  options.part_size = 5 * kMiB;
  options.concurrency = 4;
  options.max_attempts = 6;
  options.retry_base_delay = std::chrono::milliseconds(10);
  options.retry_max_delay = std::chrono::milliseconds(100);
  options.retry_total_time = std::chrono::milliseconds(8000);
  options.connect_timeout = std::chrono::milliseconds(2000);
  options.request_timeout = std::chrono::milliseconds(10000);
  return options;
}

checkpoint::StorageOptions stall_s3_options() {
  checkpoint::StorageOptions options = fast_s3_options();
  options.request_timeout = std::chrono::milliseconds(1000);
  return options;
}

std::unique_ptr<checkpoint::Storage> open_test_s3(const std::string& endpoint, const std::string& bucket_and_prefix,
                                                  const checkpoint::StorageOptions& options,
                                                  const std::string& access_key_id,
                                                  const std::string& secret_access_key) {
  MapEnvironment env;
  env.set("AWS_ACCESS_KEY_ID", access_key_id);
  env.set("AWS_SECRET_ACCESS_KEY", secret_access_key);
  env.set("AWS_EC2_METADATA_DISABLED", "true");
  return s3::open_s3_storage("s3://" + bucket_and_prefix + "?endpoint=" + endpoint + "&region=us-east-1&addressing=path",
                             options, env);
}

std::string unique_name(std::string_view stem) {
  static std::atomic<int> counter{0};
  return std::string(stem) + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

std::vector<std::byte> test_bytes(std::size_t size, unsigned seed) {
  std::vector<std::byte> bytes(size);
  std::mt19937_64 random(seed * 7919 + 1);
  std::size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    const std::uint64_t word = random();
    for (int b = 0; b < 8; ++b) bytes[i + static_cast<std::size_t>(b)] = static_cast<std::byte>(word >> (8 * b));
  }
  for (; i < size; ++i) bytes[i] = static_cast<std::byte>(random());
  return bytes;
}

}  // namespace ronde::testing

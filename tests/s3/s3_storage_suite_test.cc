// The shared Storage behaviour suite (tests/storage/storage_suite.h) against the S3 backend on a
// moto_server started for this process.
#include <stdexcept>

#include "moto_server.h"
#include "s3_test_support.h"
#include "storage_suite.h"

namespace ronde::testing {
namespace {

constexpr const char* kBucket = "ronde-suite";

// Started on first use, killed when the process exits (or dies: see moto_server.h).
MotoServer& suite_server() {
  static const std::unique_ptr<MotoServer> server = [] {
    auto started = MotoServer::start({.buckets = {kBucket}});
    if (!started) throw std::runtime_error(MotoServer::why_unavailable());
    return started;
  }();
  return *server;
}

StorageBackendFactory s3_factory() {
  return {.name = "S3",
          .make_fresh = [](const ronde::checkpoint::StorageOptions& options) {
            ronde::checkpoint::StorageOptions fast = options;
            fast.retry_base_delay = std::chrono::milliseconds(10);
            fast.retry_max_delay = std::chrono::milliseconds(200);
            return open_test_s3(suite_server().endpoint(),
                                                std::string(kBucket) + "/" + unique_name("suite"), fast);
          }};
}

// What RONDE_INSTANTIATE_STORAGE_SUITE(S3, s3_factory()) does, spelled out inside the suite's
// namespace (the macro's qualified suite name does not paste into gtest's identifiers).
[[maybe_unused]] const int suite_anchor = storage_suite_anchor();
INSTANTIATE_TEST_SUITE_P(S3, StorageSuite, ::testing::Values(s3_factory()),
                         [](const ::testing::TestParamInfo<StorageBackendFactory>& param) { return param.param.name; });

}  // namespace
}  // namespace ronde::testing

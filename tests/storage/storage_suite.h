// The behavioural test suite every Storage backend must pass (the contract at the top of
// ronde/checkpoint/storage.h). One suite, instantiated once per backend:
//
//   // tests/<backend>/<backend>_storage_test.cc
//   #include "storage_suite.h"
//
//   ronde::testing::StorageBackendFactory s3_factory() {
//     return {.name = "S3",                                  // letters, digits, '_' only
//             .make_fresh = [](const ronde::checkpoint::StorageOptions& options) {
//               // a new, empty root on every call, opened with `options` (the suite picks the
//               // transfer options; add endpoint/credentials and the like here)
//               return ronde::checkpoint::open_storage("s3://bucket/" + unique_name(), options);
//             }};
//   }
//   RONDE_INSTANTIATE_STORAGE_SUITE(S3, s3_factory());
//
//   # tests/<backend>/CMakeLists.txt
//   add_executable(s3_storage_test s3_storage_test.cc)
//   target_link_libraries(s3_storage_test PRIVATE ronde_storage_suite GTest::gtest_main)
//   gtest_discover_tests(s3_storage_test DISCOVERY_MODE PRE_TEST PROPERTIES LABELS unit)
//
// Test names read "S3/StorageSuite.PutAndGetEmptyObject/S3". Each test gets its own root from
// make_fresh, and removes what it wrote at the end. The suite opens large objects with
// part_size 5 MiB and multipart_threshold 1 MiB, so objects of a few MiB take the multipart and
// parallel-range paths; the biggest object is about 16 MiB and one test writes 1003 small keys.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "ronde/checkpoint/storage.h"

namespace ronde::testing {

struct StorageBackendFactory {
  std::string name;
  // A Storage over a fresh, empty root, opened with the options given.
  std::function<std::unique_ptr<checkpoint::Storage>(const checkpoint::StorageOptions&)> make_fresh;
  // What the backend cannot do (the tests that need it are skipped, saying why):
  // an object "a" and an object "a/b" at once (the file backend: "a" would be both file and directory).
  bool object_and_prefix_share_names = true;
};

// Test output names a factory by its name.
void PrintTo(const StorageBackendFactory& factory, std::ostream* out);

// The transfer options the suite opens storages with (see the top of this file).
checkpoint::StorageOptions storage_suite_options();

// Referenced by RONDE_INSTANTIATE_STORAGE_SUITE so that the linker keeps the suite's tests, which
// live in a static library, in every binary that instantiates them.
int storage_suite_anchor();

class StorageSuite : public ::testing::TestWithParam<StorageBackendFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<checkpoint::Storage> storage_;
};

}  // namespace ronde::testing

// Instantiates every StorageSuite test for `factory` (a StorageBackendFactory expression) under
// the name `prefix`. Use it at namespace scope (global or any namespace).
#define RONDE_INSTANTIATE_STORAGE_SUITE(prefix, factory)                                                         \
  namespace ronde::testing {                                                                                     \
  [[maybe_unused]] static const int storage_suite_anchor_##prefix = storage_suite_anchor();                      \
  INSTANTIATE_TEST_SUITE_P(prefix, StorageSuite, ::testing::Values(factory),                                     \
                           [](const ::testing::TestParamInfo<StorageBackendFactory>& info) { return info.param.name; }); \
  }                                                                                                              \
  static_assert(true, "a semicolon follows the macro")

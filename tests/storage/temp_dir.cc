#include "temp_dir.h"

#include <atomic>
#include <string>

#include "support/temp_dir.h"

namespace ronde::testing {

const std::filesystem::path& test_temp_dir() {
  static const TempDir root("storage-test");  // removed when the test process exits
  static const std::filesystem::path path = root.path();
  return path;
}

std::filesystem::path fresh_test_dir(std::string_view label) {
  static std::atomic<int> counter{0};
  std::filesystem::path path = test_temp_dir() / (std::string(label) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path);
  return path;
}

}  // namespace ronde::testing

#include "temp_dir.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace ronde::testing {

namespace {

class TempRoot {
 public:
  TempRoot() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/ronde-storage-test-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + " failed");
    path_ = pattern;
  }
  ~TempRoot() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

const std::filesystem::path& test_temp_dir() {
  static const TempRoot root;
  return root.path();
}

std::filesystem::path fresh_test_dir(std::string_view label) {
  static std::atomic<int> counter{0};
  std::filesystem::path path = test_temp_dir() / (std::string(label) + "-" + std::to_string(counter++));
  std::filesystem::create_directories(path);
  return path;
}

}  // namespace ronde::testing

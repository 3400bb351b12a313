// A fresh temporary directory for one test, removed with everything in it when the object goes:
// the one temporary-directory helper of ronde's tests (header-only, so any test target can use it
// with tests/ on its include path).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ronde::testing {

class TempDir {
 public:
  // Under $TMPDIR (std::filesystem::temp_directory_path), named ronde-<label>-XXXXXX.
  explicit TempDir(std::string_view label = "test") {
    std::string pattern = (std::filesystem::temp_directory_path() / ("ronde-" + std::string(label) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp " + pattern + " failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // The path of `name` inside (not created).
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // file://<path>, for the file storage backend.
  std::string file_uri() const { return "file://" + path_; }
  // Writes `content` to `name` (creating parent directories) and returns its path.
  std::string write(const std::string& name, const std::string& content) const {
    const std::filesystem::path target = file(name);
    std::filesystem::create_directories(target.parent_path());
    std::ofstream(target, std::ios::binary) << content;
    return target.string();
  }

 private:
  std::string path_;
};

}  // namespace ronde::testing

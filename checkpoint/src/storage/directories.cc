#include "storage/directories.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "storage/posix_file.h"

namespace ronde::checkpoint {

namespace {

bool is_a_directory(const std::filesystem::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

}  // namespace

void make_directories(const std::filesystem::path& directory, const std::string& what) {
  if (is_a_directory(directory)) return;
  const std::filesystem::path parent = directory.parent_path();
  if (parent != directory && !parent.empty()) make_directories(parent, what);
  if (::mkdir(directory.c_str(), 0777) != 0) {
    if (errno == EEXIST && is_a_directory(directory)) return;  // a racing writer made it
    // EEXIST here means a file (an object) holds the name a directory needs.
    throw_system_error(what + ": cannot create directory", directory, errno == EEXIST ? ENOTDIR : errno);
  }
  if (parent != directory && !parent.empty()) sync_directory(parent, what);
}

void prune_empty_directories(const std::filesystem::path& directory, const std::filesystem::path& root) {
  for (std::filesystem::path current = directory; current != root && current.string().size() > root.string().size();
       current = current.parent_path()) {
    if (::rmdir(current.c_str()) != 0) return;
  }
}

}  // namespace ronde::checkpoint

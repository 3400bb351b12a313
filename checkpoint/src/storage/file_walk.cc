#include "storage/file_walk.h"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "storage/posix_file.h"
#include "storage/temp_names.h"

namespace ronde::checkpoint {

namespace {

struct Entry {
  std::string order;  // name, or name + "/" for a directory
  std::string name;
  struct stat info {};
};

bool compatible(std::string_view a, std::string_view b) { return a.starts_with(b) || b.starts_with(a); }

class Walker {
 public:
  Walker(const WalkFilter& filter, const std::function<bool(const std::string&, const struct stat&)>& visit,
         const std::string& what)
      : filter_(filter), visit_(visit), what_(what) {}

  // Returns false once the visitor asked to stop.
  bool walk(const std::filesystem::path& directory, const std::string& key_prefix, bool is_root) {
    std::vector<Entry> entries;
    if (!read_directory(directory, is_root, entries)) return true;
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) { return a.order < b.order; });
    for (const Entry& entry : entries) {
      if (S_ISDIR(entry.info.st_mode)) {
        const std::string subtree = key_prefix + entry.order;
        if (!compatible(subtree, filter_.prefix)) continue;
        if (subtree < filter_.after && !filter_.after.starts_with(subtree)) continue;  // all keys before the token
        if (!walk(directory / entry.name, subtree, false)) return false;
      } else if (S_ISREG(entry.info.st_mode)) {
        const std::optional<std::string> target = temp_target(entry.name);
        const bool wanted = filter_.kind == WalkKind::Temporaries ? target.has_value() : !target.has_value();
        if (!wanted) continue;
        const std::string key = key_prefix + entry.name;
        const std::string matched = target ? key_prefix + *target : key;
        if (!matched.starts_with(filter_.prefix) || key <= filter_.after) continue;
        if (!visit_(key, entry.info)) return false;
      }
    }
    return true;
  }

 private:
  // Fills `entries`; false when the directory vanished (or, for the root, never existed).
  bool read_directory(const std::filesystem::path& directory, bool is_root, std::vector<Entry>& entries) {
    UniqueFd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) {
      if (errno == ENOENT || (!is_root && errno == ENOTDIR)) return false;
      throw_system_error(what_ + ": cannot open directory", directory, errno);
    }
    const int dir_fd = fd.get();
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(dir_fd), &::closedir);
    if (!dir) throw_system_error(what_ + ": cannot read directory", directory, errno);
    fd.release();  // owned by `dir` now
    for (;;) {
      errno = 0;
      const dirent* item = ::readdir(dir.get());
      if (item == nullptr) {
        if (errno != 0) throw_system_error(what_ + ": cannot read directory", directory, errno);
        break;
      }
      const std::string_view name = item->d_name;
      if (name == "." || name == "..") continue;
      Entry entry;
      entry.name = std::string(name);
      if (::fstatat(dir_fd, item->d_name, &entry.info, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // removed while we read
        throw_system_error(what_ + ": cannot stat", directory / entry.name, errno);
      }
      entry.order = S_ISDIR(entry.info.st_mode) ? entry.name + "/" : entry.name;
      entries.push_back(std::move(entry));
    }
    return true;
  }

  const WalkFilter& filter_;
  const std::function<bool(const std::string&, const struct stat&)>& visit_;
  const std::string& what_;
};

}  // namespace

void walk_files(const std::filesystem::path& root, const WalkFilter& filter,
                const std::function<bool(const std::string& key, const struct stat& info)>& visit,
                const std::string& what) {
  Walker(filter, visit, what).walk(root, "", true);
}

}  // namespace ronde::checkpoint

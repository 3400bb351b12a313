// The file backend: one regular file per object under a root directory.
//
// Atomicity: a put writes ".<name>.ronde-tmp-<random>" next to the object, fsyncs it, renames it
// over the object (create_only: renameat2(RENAME_NOREPLACE), or link() where the file system
// lacks it, so exactly one racing writer wins) and fsyncs the directory. Readers therefore see the
// old file or the new one, and a reader holding the old file open keeps reading the old bytes.
// A crash leaves at most a temporary file, which list() hides and list_pending_uploads() reports.
#include "storage/file_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <vector>

#include "ronde/core/error.h"
#include "storage/directories.h"
#include "storage/file_walk.h"
#include "storage/parallel_parts.h"
#include "storage/posix_file.h"
#include "storage/range.h"
#include "storage/temp_names.h"

namespace ronde::checkpoint {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxStreamChunk = 16 * 1024 * 1024;  // file I/O gains nothing from larger buffers

std::chrono::system_clock::time_point modified_time(const struct stat& info) {
  const auto since_epoch = std::chrono::seconds(info.st_mtim.tv_sec) + std::chrono::nanoseconds(info.st_mtim.tv_nsec);
  return std::chrono::system_clock::time_point(std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
}

// Changes whenever a put replaces the file: a new inode (allocated while the old one still
// exists), usually a new size and modification time too.
std::string etag_of(const struct stat& info) {
  const auto mtime_ns = static_cast<unsigned long long>(info.st_mtim.tv_sec) * 1'000'000'000ULL +
                        static_cast<unsigned long long>(info.st_mtim.tv_nsec);
  char text[3 * 17 + 3];
  std::snprintf(text, sizeof text, "%llx-%llx-%llx", static_cast<unsigned long long>(info.st_size), mtime_ns,
                static_cast<unsigned long long>(info.st_ino));
  return text;
}

ObjectInfo object_info(std::string key, const struct stat& info) {
  ObjectInfo object;
  object.key = std::move(key);
  object.size = static_cast<std::uint64_t>(info.st_size);
  object.etag = etag_of(info);
  object.last_modified = modified_time(info);
  return object;
}

bool missing(int errno_value) { return errno_value == ENOENT || errno_value == ENOTDIR; }

// A temporary file being written; unlinked on destruction unless committed.
class TempFile {
 public:
  TempFile(fs::path path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}
  TempFile(TempFile&&) = default;
  ~TempFile() {
    fd_.close();
    if (!committed_) ::unlink(path_.c_str());
  }
  const fs::path& path() const { return path_; }
  int fd() const { return fd_.get(); }
  void sync_and_close(const std::string& what) {
    if (::fsync(fd_.get()) != 0) throw_system_error(what + ": cannot fsync", path_, errno);
    if (const int error = fd_.close()) throw_system_error(what + ": cannot close", path_, error);
  }
  void committed() { committed_ = true; }

 private:
  fs::path path_;
  UniqueFd fd_;
  bool committed_ = false;
};

class FileStorage final : public Storage {
 public:
  FileStorage(fs::path root, const StorageOptions& options) : root_(std::move(root)), options_(options) {}

  std::string uri() const override { return "file://" + root_.string(); }

  void put(std::string_view key, std::span<const std::byte> data, const PutOptions& options) override {
    const std::string what = "put " + uri_of(key);
    write_object(key, options, what, [&](TempFile& temp) {
      if (::ftruncate(temp.fd(), static_cast<off_t>(data.size())) != 0) {
        throw_system_error(what + ": cannot size", temp.path(), errno);
      }
      for_each_part(data.size(), part_size(), transfer_threads(data.size()),
                    [&](std::uint64_t offset, std::uint64_t length) {
                      write_all(temp.fd(), data.subspan(offset, length), offset, what, temp.path());
                    },
                    options.progress);
    });
  }

  void put_stream(std::string_view key, const ReadChunk& source, const PutOptions& options) override {
    const std::string what = "put " + uri_of(key);
    write_object(key, options, what, [&](TempFile& temp) {
      std::vector<std::byte> buffer(chunk_size());
      std::uint64_t done = 0;
      for (;;) {
        const std::size_t got = source(buffer);
        if (got == 0) break;
        if (got > buffer.size()) {
          throw Error(ErrorCode::InvalidArgument, what + ": the source claimed " + std::to_string(got) +
                                                      " bytes for a buffer of " + std::to_string(buffer.size()));
        }
        write_all(temp.fd(), std::span(buffer).first(got), done, what, temp.path());
        done += got;
        if (options.progress) options.progress(done, 0);
      }
      if (options.progress) options.progress(done, done);  // the total is known at the end
    });
  }

  std::size_t get(std::string_view key, std::span<std::byte> buffer, const GetOptions& options) override {
    const std::string what = "get " + uri_of(key);
    auto [fd, info] = open_object(key, what);
    const std::uint64_t length = checked_range(uri_of(key), static_cast<std::uint64_t>(info.st_size), options);
    if (buffer.size() < length) {
      throw Error(ErrorCode::InvalidArgument, what + ": the buffer holds " + std::to_string(buffer.size()) +
                                                  " bytes but the range has " + std::to_string(length));
    }
    for_each_part(length, part_size(), transfer_threads(length),
                  [&](std::uint64_t offset, std::uint64_t part) {
                    read_all(fd.get(), buffer.subspan(offset, part), options.offset + offset, what, object_path(key));
                  },
                  options.progress);
    return static_cast<std::size_t>(length);
  }

  void get_stream(std::string_view key, const WriteChunk& sink, const GetOptions& options) override {
    const std::string what = "get " + uri_of(key);
    auto [fd, info] = open_object(key, what);
    const std::uint64_t length = checked_range(uri_of(key), static_cast<std::uint64_t>(info.st_size), options);
    std::vector<std::byte> buffer(static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size(), length)));
    for (std::uint64_t done = 0; done < length;) {
      const auto part = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
      read_all(fd.get(), std::span(buffer).first(part), options.offset + done, what, object_path(key));
      sink(std::span<const std::byte>(buffer).first(part));
      done += part;
      if (options.progress) options.progress(done, length);
    }
  }

  ObjectInfo head(std::string_view key) override {
    const std::string what = "head " + uri_of(key);
    const fs::path path = object_path(key);
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
      if (missing(errno)) throw not_found(what);
      throw_system_error(what + ": cannot stat", path, errno);
    }
    if (!S_ISREG(info.st_mode)) throw not_found(what);
    return object_info(std::string(key), info);
  }

  ListPage list_page(std::string_view prefix, std::string_view token, int max_keys) override {
    if (max_keys < 1 || max_keys > 1000) {
      throw Error(ErrorCode::InvalidArgument, "list " + uri_of(prefix) + ": max_keys " + std::to_string(max_keys) +
                                                  " is not within 1..1000");
    }
    ListPage page;
    bool more = false;
    walk_files(root_, {.prefix = prefix, .after = token, .kind = WalkKind::Objects},
               [&](const std::string& key, const struct stat& info) {
                 if (page.objects.size() == static_cast<std::size_t>(max_keys)) {
                   more = true;
                   return false;
                 }
                 page.objects.push_back(object_info(key, info));
                 return true;
               },
               "list " + uri_of(prefix));
    if (more) page.next_token = page.objects.back().key;
    return page;
  }

  void remove(std::string_view key) override { remove_file(object_path(key), "remove " + uri_of(key)); }

  void remove_all(std::span<const std::string> keys) override {
    for (const std::string& key : keys) object_path(key);  // every key valid before anything goes
    std::vector<std::string> failures;
    for (const std::string& key : keys) {
      try {
        remove(key);
      } catch (const Error& error) {
        failures.push_back(error.message());
      }
    }
    if (failures.empty()) return;
    std::string message = "remove_all " + uri() + ": " + std::to_string(failures.size()) + " of " +
                          std::to_string(keys.size()) + " keys could not be removed:";
    for (std::size_t i = 0; i < failures.size() && i < 10; ++i) message += "\n  " + failures[i];
    if (failures.size() > 10) message += "\n  ... and " + std::to_string(failures.size() - 10) + " more";
    throw Error(ErrorCode::Storage, message);
  }

  std::vector<PendingUpload> list_pending_uploads(std::string_view prefix) override {
    std::vector<PendingUpload> uploads;
    walk_files(root_, {.prefix = prefix, .kind = WalkKind::Temporaries},
               [&](const std::string& temp_key, const struct stat& info) {
                 const std::size_t slash = temp_key.rfind('/');
                 const std::string directory = slash == std::string::npos ? "" : temp_key.substr(0, slash + 1);
                 const std::string name = slash == std::string::npos ? temp_key : temp_key.substr(slash + 1);
                 uploads.push_back({.key = directory + temp_target(name).value(),
                                    .upload_id = temp_key,
                                    .started = modified_time(info)});
                 return true;
               },
               "list_pending_uploads " + uri_of(prefix));
    return uploads;
  }

  void abort_pending_upload(const PendingUpload& upload) override {
    const std::string what = "abort_pending_upload " + uri_of(upload.upload_id);
    validate_key(upload.upload_id);
    const std::size_t slash = upload.upload_id.rfind('/');
    if (!is_temp_name(slash == std::string::npos ? upload.upload_id : upload.upload_id.substr(slash + 1))) {
      throw Error(ErrorCode::InvalidArgument, what + ": '" + upload.upload_id +
                                                  "' is not a temporary file of the file backend");
    }
    remove_file(root_ / upload.upload_id, what);
  }

 private:
  // The file of `key`; keys are checked, and names of temporary files are refused so that every
  // object is visible to list().
  fs::path object_path(std::string_view key) const {
    validate_key(key);
    std::size_t begin = 0;
    while (begin < key.size()) {
      std::size_t end = key.find('/', begin);
      if (end == std::string_view::npos) end = key.size();
      if (is_temp_name(key.substr(begin, end - begin))) {
        throw Error(ErrorCode::InvalidArgument, "invalid storage key '" + std::string(key) +
                                                    "': names like '.<name>.ronde-tmp-<hex>' are the file "
                                                    "backend's temporary files");
      }
      begin = end + 1;
    }
    return root_ / fs::path(key);
  }

  std::size_t part_size() const { return options_.part_size; }
  std::size_t chunk_size() const { return std::min(options_.part_size, kMaxStreamChunk); }
  // Large transfers (above multipart_threshold) use `concurrency` threads, others one.
  int transfer_threads(std::uint64_t bytes) const {
    return bytes > options_.multipart_threshold ? options_.concurrency : 1;
  }

  Error not_found(const std::string& what) const { return Error(ErrorCode::NotFound, what + ": no such object"); }

  std::pair<UniqueFd, struct stat> open_object(std::string_view key, const std::string& what) {
    const fs::path path = object_path(key);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
      if (missing(errno)) throw not_found(what);
      throw_system_error(what + ": cannot open", path, errno);
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) throw_system_error(what + ": cannot stat", path, errno);
    if (!S_ISREG(info.st_mode)) throw not_found(what);  // a directory holding other keys
    return {std::move(fd), info};
  }

  // Creates the temporary file next to `target`, making its directory first. A concurrent remove
  // may prune that directory between the two steps, so a vanished directory is made again.
  TempFile create_temp(const fs::path& target, const std::string& what) {
    const fs::path directory = target.parent_path();
    for (int attempt = 0;; ++attempt) {
      make_directories(directory, what);
      fs::path temp = directory / make_temp_name(target.filename().string());
      UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666));
      if (fd) return TempFile(std::move(temp), std::move(fd));
      if (!(errno == ENOENT && attempt < 8) && errno != EEXIST) {
        throw_system_error(what + ": cannot create", temp, errno);
      }
    }
  }

  void write_object(std::string_view key, const PutOptions& options, const std::string& what,
                    const std::function<void(TempFile&)>& fill) {
    const fs::path target = object_path(key);
    if (options.create_only && exists(target)) throw already_exists(key, what);  // fail before writing
    try {
      TempFile temp = create_temp(target, what);
      fill(temp);
      temp.sync_and_close(what);
      if (options.create_only) {
        publish_new(temp, target, key, what);
      } else if (::rename(temp.path().c_str(), target.c_str()) != 0) {
        throw_system_error(what + ": cannot rename '" + temp.path().string() + "' to", target, errno);
      } else {
        temp.committed();
      }
    } catch (...) {
      // The temporary file is gone; directories made for it go too, as a failed put leaves nothing.
      prune_empty_directories(target.parent_path(), root_);
      throw;
    }
    sync_directory(target.parent_path(), what);
  }

  // Makes the temporary file the object only if there is none yet.
  void publish_new(TempFile& temp, const fs::path& target, std::string_view key, const std::string& what) {
    if (::renameat2(AT_FDCWD, temp.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
      temp.committed();
      return;
    }
    int error = errno;
    if (error == EINVAL || error == ENOSYS) {  // no RENAME_NOREPLACE here: link() fails if the name exists
      if (::link(temp.path().c_str(), target.c_str()) == 0) return;  // ~TempFile unlinks the temporary name
      error = errno;
    }
    if (error == EEXIST) throw already_exists(key, what);
    throw_system_error(what + ": cannot rename '" + temp.path().string() + "' to", target, error);
  }

  static bool exists(const fs::path& path) {
    struct stat info {};
    return ::stat(path.c_str(), &info) == 0;
  }

  Error already_exists(std::string_view key, const std::string& what) const {
    return Error(ErrorCode::AlreadyExists, what + ": the key '" + std::string(key) + "' already exists (create_only)");
  }

  void remove_file(const fs::path& path, const std::string& what) {
    if (::unlink(path.c_str()) != 0) {
      if (missing(errno) || errno == EISDIR) return;  // no such object: S3 semantics
      throw_system_error(what + ": cannot unlink", path, errno);
    }
    sync_directory(path.parent_path(), what);
    prune_empty_directories(path.parent_path(), root_);
  }

  fs::path root_;
  StorageOptions options_;
};

// "/a/b/" -> "/a/b"; "/a/./b/../c" -> "/a/c"; "/" stays.
fs::path normal_root(const fs::path& root) {
  std::string text = root.lexically_normal().string();
  while (text.size() > 1 && text.back() == '/') text.pop_back();
  return fs::path(text);
}

}  // namespace

std::unique_ptr<Storage> open_file_storage(const std::filesystem::path& root, const StorageOptions& options) {
  if (!root.is_absolute()) {
    throw Error(ErrorCode::InvalidArgument, "file storage root '" + root.string() + "' is not an absolute path");
  }
  if (options.part_size == 0 || options.concurrency < 1) {
    throw Error(ErrorCode::InvalidArgument, "file storage " + root.string() +
                                                ": StorageOptions needs part_size >= 1 and concurrency >= 1");
  }
  return std::make_unique<FileStorage>(normal_root(root), options);
}

}  // namespace ronde::checkpoint

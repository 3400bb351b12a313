// The Storage behaviour suite over the file backend, and what only the file backend has:
// temporary files, crash leftovers, file-system errors.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ronde/core/error.h"
#include "storage/file_storage.h"
#include "storage_suite.h"
#include "temp_dir.h"

namespace ronde::testing {
namespace {

namespace fs = std::filesystem;
using checkpoint::open_file_storage;
using checkpoint::open_storage;
using checkpoint::StorageOptions;
using ::testing::HasSubstr;

StorageBackendFactory file_factory() {
  return {.name = "File",
          .make_fresh = [](const StorageOptions& options) {
            static std::atomic<int> counter{0};
            return open_file_storage(test_temp_dir() / ("root-" + std::to_string(counter++)), options);
          },
          .object_and_prefix_share_names = false};
}

}  // namespace
}  // namespace ronde::testing

RONDE_INSTANTIATE_STORAGE_SUITE(File, ronde::testing::file_factory());

namespace ronde::testing {
namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> bytes(text.size());
  if (!text.empty()) std::memcpy(bytes.data(), text.data(), text.size());
  return bytes;
}

class FileStorageTest : public ::testing::Test {
 protected:
  fs::path root_ = fresh_test_dir("file");
  std::unique_ptr<checkpoint::Storage> storage_ = open_storage(root_.string());
};

TEST_F(FileStorageTest, UriNamesTheRootAndObjectsAreFilesUnderIt) {
  EXPECT_EQ(storage_->uri(), "file://" + root_.string());
  storage_->put("a/b.bin", bytes_of("hello"));
  std::ifstream file(root_ / "a" / "b.bin", std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(file)), {});
  EXPECT_EQ(content, "hello");
  EXPECT_EQ(open_storage("file://" + root_.string() + "/")->get_all("a/b.bin"), bytes_of("hello"));
}

TEST_F(FileStorageTest, TemporaryFileIsInvisibleWhileThePutRuns) {
  bool checked = false;
  std::size_t calls = 0;
  storage_->put_stream("dir/object", [&](std::span<std::byte> buffer) -> std::size_t {
    if (calls++ == 1) {  // the first chunk is in the temporary file now
      EXPECT_TRUE(storage_->list().empty());
      EXPECT_FALSE(storage_->try_head("dir/object"));
      const auto pending = storage_->list_pending_uploads();
      EXPECT_EQ(pending.size(), 1u);
      if (!pending.empty()) {
        EXPECT_EQ(pending[0].key, "dir/object");
        EXPECT_THAT(pending[0].upload_id, HasSubstr("dir/.object.ronde-tmp-"));
      }
      checked = true;
    }
    if (calls > 2) return 0;
    buffer[0] = std::byte{'z'};
    return 1;
  });
  EXPECT_TRUE(checked);
  EXPECT_EQ(storage_->get_all("dir/object"), bytes_of("zz"));
  EXPECT_TRUE(storage_->list_pending_uploads().empty());
}

TEST_F(FileStorageTest, CrashLeftoverIsReportedAndCanBeAborted) {
  storage_->put("step-1/shard-0", bytes_of("done"));
  const fs::path leftover = root_ / "step-1" / ".shard-1.ronde-tmp-0123456789abcdef";
  std::ofstream(leftover) << "half a shard";

  EXPECT_EQ(storage_->list().size(), 1u) << "a temporary file shows in list()";
  auto pending = storage_->list_pending_uploads("step-1/");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].key, "step-1/shard-1");
  EXPECT_EQ(pending[0].upload_id, "step-1/.shard-1.ronde-tmp-0123456789abcdef");
  EXPECT_LT(std::chrono::abs(std::chrono::system_clock::now() - pending[0].started), std::chrono::hours(1));
  EXPECT_EQ(storage_->list_pending_uploads("step-1/shard-1").size(), 1u) << "the prefix applies to the final key";
  EXPECT_TRUE(storage_->list_pending_uploads("step-2/").empty());

  storage_->abort_pending_upload(pending[0]);
  EXPECT_FALSE(fs::exists(leftover));
  EXPECT_TRUE(storage_->list_pending_uploads().empty());
  EXPECT_EQ(storage_->get_all("step-1/shard-0"), bytes_of("done"));
  storage_->abort_pending_upload(pending[0]);  // already gone: fine

  pending[0].upload_id = "step-1/shard-0";  // not a temporary file: refused, nothing removed
  EXPECT_THROW(storage_->abort_pending_upload(pending[0]), Error);
  EXPECT_TRUE(storage_->try_head("step-1/shard-0"));
}

TEST_F(FileStorageTest, KeysShapedLikeTemporaryFilesAreRefused) {
  try {
    storage_->put("a/.b.ronde-tmp-0123456789abcdef", bytes_of("x"));
    FAIL() << "accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(error.message(), HasSubstr(".b.ronde-tmp-"));
  }
}

TEST_F(FileStorageTest, RemoveLeavesNoEmptyDirectoriesBehind) {
  storage_->put("x/y/z", bytes_of("1"));
  storage_->put("x/keep", bytes_of("2"));
  storage_->remove("x/y/z");
  EXPECT_FALSE(fs::exists(root_ / "x" / "y"));
  EXPECT_TRUE(fs::exists(root_ / "x" / "keep"));
  storage_->remove("x/keep");
  EXPECT_FALSE(fs::exists(root_ / "x"));
  EXPECT_TRUE(fs::exists(root_)) << "the root itself stays";
}

TEST_F(FileStorageTest, FailedPutLeavesNoFilesOrDirectories) {
  EXPECT_THROW(storage_->put_stream("new/dirs/k", [](std::span<std::byte>) -> std::size_t {
    throw std::runtime_error("source failed");
  }),
               std::runtime_error);
  EXPECT_TRUE(fs::is_empty(root_)) << fs::directory_iterator(root_)->path();
}

TEST_F(FileStorageTest, MissingRootListsNothingAndIsCreatedByTheFirstPut) {
  auto storage = open_storage("file://" + (root_ / "not" / "yet").string());
  EXPECT_TRUE(storage->list().empty());
  EXPECT_FALSE(storage->try_head("k"));
  storage->put("k", bytes_of("v"));
  EXPECT_TRUE(fs::is_regular_file(root_ / "not" / "yet" / "k"));
}

TEST_F(FileStorageTest, FileWhereADirectoryShouldBeIsStorageErrorNamingThePath) {
  storage_->put("blocker", bytes_of("a file"));
  try {
    storage_->put("blocker/child", bytes_of("x"));
    FAIL() << "accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::Storage) << error.what();
    EXPECT_THAT(error.message(), HasSubstr((root_ / "blocker").string()));
    EXPECT_THAT(error.message(), HasSubstr("put file://"));
  }
}

// Runs `body` in a child process that has dropped root's privileges (root ignores permission
// bits, so the test would otherwise prove nothing), returning its exit status.
template <class Body>
int as_unprivileged_child(Body&& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(90);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

TEST_F(FileStorageTest, PermissionDeniedIsStorageErrorNamingThePath) {
  const fs::path locked = root_ / "locked";
  fs::create_directories(locked);
  // Others may enter the test tree but not write into "locked".
  ::chmod(test_temp_dir().c_str(), 0755);
  ::chmod(root_.c_str(), 0755);
  ::chmod(locked.c_str(), 0555);
  const int status = as_unprivileged_child([&] {
    try {
      open_storage(locked.string())->put("k", bytes_of("v"));
      std::fprintf(stderr, "put into a read-only directory succeeded\n");
      return 1;
    } catch (const Error& error) {
      std::fprintf(stderr, "%s\n", error.what());
      const bool names_path = error.message().find(locked.string()) != std::string::npos;
      return error.code() == ErrorCode::Storage && names_path ? 0 : 2;
    }
  });
  ::chmod(locked.c_str(), 0755);
  if (status == 90) GTEST_SKIP() << "cannot drop root's privileges here";
  EXPECT_EQ(status, 0) << "see the child's message above";
}

TEST_F(FileStorageTest, OpenRejectsRelativeRootsAndBadOptions) {
  EXPECT_THROW(open_file_storage("relative/dir", StorageOptions{}), Error);
  StorageOptions options;
  options.concurrency = 0;
  EXPECT_THROW(open_file_storage(root_, options), Error);
}

}  // namespace
}  // namespace ronde::testing

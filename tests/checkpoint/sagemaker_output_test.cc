// write_failure_reason: <root>/output/failure, at most 1024 bytes cut on a UTF-8 boundary,
// replaced atomically, the directory created when missing, errors naming the file.
#include "ronde/checkpoint/sagemaker_output.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "ronde/core/error.h"

namespace ronde::checkpoint {
namespace {

namespace fs = std::filesystem;

class TempRoot {
 public:
  TempRoot() : path_(fs::temp_directory_path() / ("ronde-sm-" + std::to_string(::getpid()) + "-" +
                                                  std::to_string(std::random_device()()))) {
    fs::create_directories(path_);
  }
  ~TempRoot() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(SageMakerOutput, WritesTheReasonAndCreatesTheDirectory) {
  TempRoot root;
  write_failure_reason(root.path(), "Error(Corrupt): shard 'rank-00001-000.shard' checksum mismatch");
  EXPECT_EQ(read(root.path() / "output" / "failure"), "Error(Corrupt): shard 'rank-00001-000.shard' checksum mismatch");

  // Replaced, not appended; no temporary file left behind.
  write_failure_reason(root.path(), "second");
  EXPECT_EQ(read(root.path() / "output" / "failure"), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(root.path() / "output"), fs::directory_iterator()), 1);
}

TEST(SageMakerOutput, ThroughTheContainerConfig) {
  TempRoot root;
  SageMakerConfig config;
  config.root = root.path();
  write_failure_reason(config, "from config");
  EXPECT_EQ(read(config.failure_file()), "from config");
}

TEST(SageMakerOutput, KeepsTheFirst1024BytesOnACharacterBoundary) {
  TempRoot root;
  write_failure_reason(root.path(), std::string(3000, 'x'));
  EXPECT_EQ(read(root.path() / "output" / "failure"), std::string(1024, 'x'));

  // 1023 ASCII bytes then "é" (2 bytes): cutting at 1024 would split it, so it is left out.
  write_failure_reason(root.path(), std::string(1023, 'a') + "\xc3\xa9" + "tail");
  EXPECT_EQ(read(root.path() / "output" / "failure"), std::string(1023, 'a'));

  // Exactly 1024 bytes ending with a whole 3-byte character: kept whole.
  const std::string euro = "\xe2\x82\xac";
  write_failure_reason(root.path(), std::string(1021, 'b') + euro + "more");
  EXPECT_EQ(read(root.path() / "output" / "failure"), std::string(1021, 'b') + euro);
}

TEST(SageMakerOutput, UnwritableRootIsAStorageErrorNamingTheFile) {
  TempRoot root;
  std::ofstream(root.path() / "output") << "a file where the directory should be";
  try {
    write_failure_reason(root.path(), "x");
    FAIL() << "wrote under a file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Storage);
    EXPECT_NE(e.message().find((root.path() / "output" / "failure").string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ronde::checkpoint

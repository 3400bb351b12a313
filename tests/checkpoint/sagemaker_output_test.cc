// write_failure_reason: <root>/output/failure, at most 1024 bytes cut on a UTF-8 boundary,
// replaced atomically, the directory created when missing, errors naming the file.
#include "ronde/checkpoint/sagemaker_output.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ronde/core/error.h"
#include "support/temp_dir.h"

namespace ronde::checkpoint {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(SageMakerOutput, WritesTheReasonAndCreatesTheDirectory) {
  const ronde::testing::TempDir dir("sm");
  const fs::path root = dir.path();
  write_failure_reason(root, "Error(Corrupt): shard 'rank-00001-000.shard' checksum mismatch");
  EXPECT_EQ(read(root / "output" / "failure"), "Error(Corrupt): shard 'rank-00001-000.shard' checksum mismatch");

  // Replaced, not appended; no temporary file left behind.
  write_failure_reason(root, "second");
  EXPECT_EQ(read(root / "output" / "failure"), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(root / "output"), fs::directory_iterator()), 1);
}

TEST(SageMakerOutput, ThroughTheContainerConfig) {
  const ronde::testing::TempDir dir("sm");
  const fs::path root = dir.path();
  SageMakerConfig config;
  config.root = root;
  write_failure_reason(config, "from config");
  EXPECT_EQ(read(config.failure_file()), "from config");
}

TEST(SageMakerOutput, KeepsTheFirst1024BytesOnACharacterBoundary) {
  const ronde::testing::TempDir dir("sm");
  const fs::path root = dir.path();
  write_failure_reason(root, std::string(3000, 'x'));
  EXPECT_EQ(read(root / "output" / "failure"), std::string(1024, 'x'));

  // 1023 ASCII bytes then "é" (2 bytes): cutting at 1024 would split it, so it is left out.
  write_failure_reason(root, std::string(1023, 'a') + "\xc3\xa9" + "tail");
  EXPECT_EQ(read(root / "output" / "failure"), std::string(1023, 'a'));

  // Exactly 1024 bytes ending with a whole 3-byte character: kept whole.
  const std::string euro = "\xe2\x82\xac";
  write_failure_reason(root, std::string(1021, 'b') + euro + "more");
  EXPECT_EQ(read(root / "output" / "failure"), std::string(1021, 'b') + euro);
}

TEST(SageMakerOutput, UnwritableRootIsAStorageErrorNamingTheFile) {
  const ronde::testing::TempDir dir("sm");
  const fs::path root = dir.path();
  std::ofstream(root / "output") << "a file where the directory should be";
  try {
    write_failure_reason(root, "x");
    FAIL() << "wrote under a file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Storage);
    EXPECT_NE(e.message().find((root / "output" / "failure").string()), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ronde::checkpoint

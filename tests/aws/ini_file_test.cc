#include "aws/ini_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/shared_files.h"
#include "ronde/core/error.h"
#include "environments.h"
#include "support/temp_dir.h"

namespace ronde::aws {
namespace {

using ::testing::HasSubstr;

TEST(IniFile, ParsesSectionsKeysAndComments) {
  const IniFile file = parse_ini(
      "# a comment\n"
      "; another comment\n"
      "\n"
      "[default]\n"
      "  Region   =  eu-west-1  \r\n"
      "aws_secret_access_key = abc#def\n"
      "[ profile ci ]\n"
      "endpoint_url=http://127.0.0.1:9000\n"
      "empty =\n",
      "test.ini");
  ASSERT_NE(file.section("default"), nullptr);
  EXPECT_EQ(ini_value(file.section("default"), "region"), "eu-west-1");
  EXPECT_EQ(ini_value(file.section("default"), "aws_secret_access_key"), "abc#def");  // '#' inside a value stays
  EXPECT_EQ(ini_value(file.section("profile ci"), "endpoint_url"), "http://127.0.0.1:9000");
  EXPECT_EQ(ini_value(file.section("profile ci"), "empty"), "");
  EXPECT_EQ(ini_value(file.section("profile ci"), "missing"), std::nullopt);
  EXPECT_EQ(file.section("nope"), nullptr);
  EXPECT_EQ(ini_value(nullptr, "region"), std::nullopt);
}

TEST(IniFile, NestedBlocksAndContinuations) {
  const IniFile file = parse_ini(
      "[profile minio]\n"
      "s3 =\n"
      "  endpoint_url = http://minio:9000\n"
      "\taddressing_style = path\n"
      "region = us-east-1\n"
      "note = first\n"
      "  second\n",
      "config");
  const IniSection* section = file.section("profile minio");
  EXPECT_EQ(ini_value(section, "s3.endpoint_url"), "http://minio:9000");
  EXPECT_EQ(ini_value(section, "s3.addressing_style"), "path");
  EXPECT_EQ(ini_value(section, "region"), "us-east-1");
  EXPECT_EQ(ini_value(section, "note"), "first\nsecond");
}

TEST(IniFile, RepeatedSectionsMerge) {
  const IniFile file = parse_ini("[a]\nx = 1\ny = 1\n[b]\n[a]\ny = 2\n", "f");
  EXPECT_EQ(ini_value(file.section("a"), "x"), "1");
  EXPECT_EQ(ini_value(file.section("a"), "y"), "2");
}

TEST(IniFile, MalformedLinesNameFileAndLine) {
  const auto message_of = [](const std::string& text) {
    try {
      parse_ini(text, "/tmp/creds");
    } catch (const Error& error) {
      EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
      return error.message();
    }
    return std::string("no error");
  };
  EXPECT_THAT(message_of("key = value\n"), HasSubstr("/tmp/creds:1: key before any [section]"));
  EXPECT_THAT(message_of("[a]\n\njust words\n"), HasSubstr("/tmp/creds:3:"));
  EXPECT_THAT(message_of("[a]\n\njust words\n"), HasSubstr("'just words'"));
  EXPECT_THAT(message_of("[a\n"), HasSubstr("without ']'"));
  EXPECT_THAT(message_of("[]\n"), HasSubstr("empty section name"));
  EXPECT_THAT(message_of("[a]\n = 3\n"), HasSubstr("empty key"));
}

TEST(IniFile, MissingFileIsNotAnError) {
  testing::TempDir dir;
  EXPECT_EQ(read_ini_file(dir.file("absent")), std::nullopt);
  const auto file = read_ini_file(dir.write("present", "[x]\nk = v\n"));
  ASSERT_TRUE(file.has_value());
  EXPECT_EQ(file->path, dir.file("present"));
  EXPECT_EQ(ini_value(file->section("x"), "k"), "v");
}

TEST(SharedFiles, PathsAndProfileSections) {
  MapEnvironment env = testing::env_with({{"HOME", "/home/me"}});
  EXPECT_EQ(config_file_path(env), "/home/me/.aws/config");
  EXPECT_EQ(credentials_file_path(env), "/home/me/.aws/credentials");
  env.set("AWS_CONFIG_FILE", "~/elsewhere/config");
  env.set("AWS_SHARED_CREDENTIALS_FILE", "/etc/creds");
  EXPECT_EQ(config_file_path(env), "/home/me/elsewhere/config");
  EXPECT_EQ(credentials_file_path(env), "/etc/creds");
  EXPECT_EQ(config_file_path(MapEnvironment()), "");

  EXPECT_EQ(profile_name(MapEnvironment(), ""), "default");
  EXPECT_EQ(profile_name(testing::env_with({{"AWS_PROFILE", "ci"}}), ""), "ci");
  EXPECT_EQ(profile_name(testing::env_with({{"AWS_PROFILE", "ci"}}), "mine"), "mine");

  const IniFile config = parse_ini("[profile default]\nregion = a\n[profile ci]\nregion = b\n[ci]\nregion = c\n", "c");
  EXPECT_EQ(ini_value(config_profile(config, "default"), "region"), "a");
  EXPECT_EQ(ini_value(config_profile(config, "ci"), "region"), "b");  // [ci] is not a config-file profile
  const IniFile both = parse_ini("[default]\nregion = plain\n[profile default]\nregion = prefixed\n", "c");
  EXPECT_EQ(ini_value(config_profile(both, "default"), "region"), "plain");
  const IniFile credentials = parse_ini("[ci]\naws_access_key_id = K\n", "k");
  EXPECT_NE(credentials_profile(credentials, "ci"), nullptr);
  EXPECT_EQ(credentials_profile(credentials, "profile ci"), nullptr);
}

}  // namespace
}  // namespace ronde::aws

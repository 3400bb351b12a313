// Environment's typed getters and the shared parse_* functions: values, fallbacks, and errors that
// name the variable (or source) and quote the value.
#include "ronde/core/env.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <map>

#include "ronde/core/error.h"
#include "support/test_helpers.h"

namespace ronde {
namespace {

using ::testing::HasSubstr;

using ronde::testing::env_of;
using ronde::testing::error_from;

TEST(MapEnvironmentTest, UnsetIsNulloptAndEmptyCountsAsSet) {
  MapEnvironment env = env_of({{"EMPTY", ""}});
  EXPECT_EQ(env.get("MISSING"), std::nullopt);
  EXPECT_EQ(env.get("EMPTY"), std::optional<std::string>(""));
  env.set("LATER", "x");
  EXPECT_EQ(env.get_string("LATER"), std::optional<std::string>("x"));
}

TEST(EnvironmentTest, ProcessEnvironmentReportsUnsetVariables) {
  EXPECT_EQ(Environment::process().get("RONDE_TEST_VARIABLE_THAT_NOBODY_SETS_7f3a"), std::nullopt);
}

TEST(EnvironmentTest, GetStringFallsBackOnlyWhenUnset) {
  MapEnvironment env = env_of({{"NAME", "value"}, {"EMPTY", ""}});
  EXPECT_EQ(env.get_string("NAME", "fallback"), "value");
  EXPECT_EQ(env.get_string("EMPTY", "fallback"), "");
  EXPECT_EQ(env.get_string("MISSING", "fallback"), "fallback");
}

TEST(EnvironmentTest, GetIntParsesWholeDecimalIntegers) {
  MapEnvironment env = env_of({{"POSITIVE", "12"}, {"NEGATIVE", "-3"}, {"PADDED", " 7 "}});
  EXPECT_EQ(env.get_int("POSITIVE"), std::optional<std::int64_t>(12));
  EXPECT_EQ(env.get_int("NEGATIVE", 0), -3);
  EXPECT_EQ(env.get_int("PADDED", 0), 7);
  EXPECT_EQ(env.get_int("MISSING"), std::nullopt);
  EXPECT_EQ(env.get_int("MISSING", 42), 42);
}

TEST(EnvironmentTest, BadIntegerNamesTheVariableAndQuotesTheValue) {
  for (const char* text : {"12abc", "1.5", "", "ten", "99999999999999999999"}) {
    MapEnvironment env = env_of({{"RONDE_CYCLE_TIME_MS", text}});
    const Error error = error_from([&] { env.get_int("RONDE_CYCLE_TIME_MS", 5); });
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(error.message(), HasSubstr("RONDE_CYCLE_TIME_MS='" + std::string(text) + "'"));
    EXPECT_THAT(error.message(), HasSubstr("integer"));
  }
}

TEST(EnvironmentTest, GetBoolAcceptsTheUsualSpellingsInAnyCase) {
  MapEnvironment env;
  for (const char* yes : {"1", "true", "TRUE", "Yes", "on"}) {
    env.set("FLAG", yes);
    EXPECT_TRUE(env.get_bool("FLAG", false)) << yes;
  }
  for (const char* no : {"0", "false", "False", "NO", "off"}) {
    env.set("FLAG", no);
    EXPECT_FALSE(env.get_bool("FLAG", true)) << no;
  }
  EXPECT_TRUE(env.get_bool("MISSING", true));
  EXPECT_FALSE(env.get_bool("MISSING", false));
}

TEST(EnvironmentTest, BadBoolNamesTheVariable) {
  MapEnvironment env = env_of({{"RONDE_FUSION", "maybe"}});
  const Error error = error_from([&] { env.get_bool("RONDE_FUSION", false); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_THAT(error.message(), HasSubstr("RONDE_FUSION='maybe'"));
  EXPECT_THAT(error.message(), HasSubstr("boolean"));
}

TEST(EnvironmentTest, GetDoubleParsesFiniteNumbers) {
  MapEnvironment env = env_of({{"RATIO", "0.25"}, {"EXP", "1e3"}});
  EXPECT_DOUBLE_EQ(env.get_double("RATIO", 0.0), 0.25);
  EXPECT_DOUBLE_EQ(env.get_double("EXP", 0.0), 1000.0);
  EXPECT_DOUBLE_EQ(env.get_double("MISSING", 1.5), 1.5);
  for (const char* text : {"abc", "0.5x", "inf", "nan", ""}) {
    env.set("RATIO", text);
    const Error error = error_from([&] { env.get_double("RATIO", 0.0); });
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
    EXPECT_THAT(error.message(), HasSubstr("RATIO='" + std::string(text) + "'"));
  }
}

TEST(EnvironmentTest, GetBytesUnderstandsBinarySuffixes) {
  MapEnvironment env = env_of({{"PLAIN", "65536"},
                      {"KILO", "64K"},
                      {"KIB", "64KiB"},
                      {"MEBI", "4MiB"},
                      {"MEGA_LOWER", "2m"},
                      {"GIGA", "1G"},
                      {"ZERO", "0"}});
  EXPECT_EQ(env.get_bytes("PLAIN", 0), 65536u);
  EXPECT_EQ(env.get_bytes("KILO", 0), 64u * 1024);
  EXPECT_EQ(env.get_bytes("KIB", 0), 64u * 1024);
  EXPECT_EQ(env.get_bytes("MEBI", 0), 4u * 1024 * 1024);
  EXPECT_EQ(env.get_bytes("MEGA_LOWER", 0), 2u * 1024 * 1024);
  EXPECT_EQ(env.get_bytes("GIGA", 0), std::size_t{1} << 30);
  EXPECT_EQ(env.get_bytes("ZERO", 7), 0u);
  EXPECT_EQ(env.get_bytes("MISSING", 123), 123u);
}

TEST(EnvironmentTest, BadByteCountNamesTheVariable) {
  for (const char* text : {"12Q", "K", "-1K", "", "1.5M", "99999999999G"}) {
    MapEnvironment env = env_of({{"RONDE_FUSION_BYTES", text}});
    const Error error = error_from([&] { env.get_bytes("RONDE_FUSION_BYTES", 0); });
    EXPECT_EQ(error.code(), ErrorCode::InvalidArgument) << text;
    EXPECT_THAT(error.message(), HasSubstr("RONDE_FUSION_BYTES='" + std::string(text) + "'"));
  }
}

TEST(ParseTest, ParsersNameTheGivenSource) {
  EXPECT_EQ(parse_int("-17", "x"), -17);
  EXPECT_DOUBLE_EQ(parse_double("0.1", "x"), 0.1);
  EXPECT_TRUE(parse_bool("On", "x"));
  EXPECT_EQ(parse_bytes("3M", "x"), 3u << 20);

  const Error error = error_from([] { parse_int("abc", "hyperparameters.json key 'epochs'"); });
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(error.message(), "hyperparameters.json key 'epochs'='abc' is not an integer");
  EXPECT_THAT(error_from([] { parse_double("fast", "key 'lr'"); }).message(), HasSubstr("key 'lr'='fast'"));
  EXPECT_THAT(error_from([] { parse_bool("2", "key 'shuffle'"); }).message(), HasSubstr("key 'shuffle'='2'"));
  EXPECT_THAT(error_from([] { parse_bytes("lots", "key 'buffer'"); }).message(), HasSubstr("key 'buffer'='lots'"));
}

TEST(ErrorTest, WhatCarriesTheCodeAndMessageDoesNot) {
  const Error error(ErrorCode::InvalidArgument, "RANK='x' is not an integer");
  EXPECT_EQ(error.code(), ErrorCode::InvalidArgument);
  EXPECT_EQ(error.message(), "RANK='x' is not an integer");
  EXPECT_STREQ(error.what(), "InvalidArgument: RANK='x' is not an integer");
}

}  // namespace
}  // namespace ronde

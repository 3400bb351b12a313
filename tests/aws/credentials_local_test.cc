// The sources that need no network: environment, shared files, static credentials, and the
// chain's error when nothing works. Instance metadata is disabled in every environment here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/credential_sources.h"
#include "aws/credentials.h"
#include "ronde/core/error.h"
#include "environments.h"
#include "support/temp_dir.h"
#include "support/test_helpers.h"

namespace ronde::aws {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// An environment with instance metadata switched off, so that nothing goes to the network.
MapEnvironment offline(std::map<std::string, std::string, std::less<>> values = {}) {
  values["AWS_EC2_METADATA_DISABLED"] = "true";
  return MapEnvironment(std::move(values));
}

// The message of the Error(Unauthenticated) that the chain throws.
std::string unauthenticated_from(CredentialsProvider& provider) {
  return ronde::testing::error_message(ErrorCode::Unauthenticated, [&] { provider.current(); });
}

TEST(StaticCredentials, ReturnsWhatItWasGiven) {
  auto provider = static_credentials({"AKID", "SECRET", "TOKEN"}, "test keys");
  EXPECT_EQ(provider->current().access_key_id, "AKID");
  EXPECT_EQ(provider->current().secret_access_key, "SECRET");
  EXPECT_EQ(provider->current().session_token, "TOKEN");
  EXPECT_EQ(provider->describe(), "test keys");
}

TEST(EnvironmentCredentials, Found) {
  auto chain = default_credentials_chain(
      offline({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "SECRET"}, {"AWS_SESSION_TOKEN", "TOK"}}));
  EXPECT_THAT(chain->describe(), HasSubstr("not probed yet"));
  const s3::Credentials credentials = chain->current();
  EXPECT_EQ(credentials.access_key_id, "AKID");
  EXPECT_EQ(credentials.secret_access_key, "SECRET");
  EXPECT_EQ(credentials.session_token, "TOK");
  EXPECT_EQ(chain->describe(), "environment");
}

TEST(EnvironmentCredentials, HalfAPairStopsTheChain) {
  testing::TempDir dir;
  const std::string credentials_path = dir.write("credentials", "[default]\naws_access_key_id = FILE\n"
                                                                "aws_secret_access_key = FILESECRET\n");
  auto chain = default_credentials_chain(
      offline({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SHARED_CREDENTIALS_FILE", credentials_path}}));
  const std::string message = unauthenticated_from(*chain);
  EXPECT_THAT(message, HasSubstr("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));
  EXPECT_THAT(message, Not(HasSubstr("shared files")));
}

TEST(EnvironmentCredentials, TheChainKeepsItsOwnCopyOfTheEnvironment) {
  std::unique_ptr<CredentialsProvider> chain;
  {
    MapEnvironment env = offline({{"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "SECRET"}});
    chain = default_credentials_chain(env);
  }
  EXPECT_EQ(chain->current().access_key_id, "AKID");
}

TEST(ProfileCredentials, DefaultProfileFromTheCredentialsFile) {
  testing::TempDir dir;
  dir.write(".aws/credentials",
            "# keys\n[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = DEFAULTSECRET\n"
            "[ci]\naws_access_key_id = CIKEY\naws_secret_access_key = CISECRET\naws_session_token = CITOKEN\n");
  auto chain = default_credentials_chain(offline({{"HOME", dir.path()}}));
  EXPECT_EQ(chain->current().access_key_id, "DEFAULTKEY");
  EXPECT_EQ(chain->describe(), "profile 'default' in " + dir.file(".aws/credentials"));

  auto ci = default_credentials_chain(offline({{"HOME", dir.path()}, {"AWS_PROFILE", "ci"}}));
  EXPECT_EQ(ci->current().session_token, "CITOKEN");
  // An explicit profile argument beats AWS_PROFILE.
  auto explicit_default = default_credentials_chain(offline({{"HOME", dir.path()}, {"AWS_PROFILE", "ci"}}), "default");
  EXPECT_EQ(explicit_default->current().access_key_id, "DEFAULTKEY");
}

TEST(ProfileCredentials, KeysInTheConfigFile) {
  testing::TempDir dir;
  const std::string config_path =
      dir.write("config", "[profile ci]\nregion = eu-west-1\naws_access_key_id = CFGKEY\naws_secret_access_key = S\n");
  const std::string credentials_path = dir.write("credentials", "[other]\naws_access_key_id = X\n");
  auto chain = default_credentials_chain(offline(
      {{"AWS_CONFIG_FILE", config_path}, {"AWS_SHARED_CREDENTIALS_FILE", credentials_path}, {"AWS_PROFILE", "ci"}}));
  EXPECT_EQ(chain->current().access_key_id, "CFGKEY");
  EXPECT_EQ(chain->describe(), "profile 'ci' in " + config_path);
}

TEST(ProfileCredentials, TheCredentialsFileBeatsTheConfigFile) {
  testing::TempDir dir;
  const std::string config_path = dir.write("config", "[default]\naws_access_key_id = CFG\naws_secret_access_key = S\n");
  const std::string credentials_path =
      dir.write("credentials", "[default]\naws_access_key_id = CRED\naws_secret_access_key = S\n");
  auto chain = default_credentials_chain(
      offline({{"AWS_CONFIG_FILE", config_path}, {"AWS_SHARED_CREDENTIALS_FILE", credentials_path}}));
  EXPECT_EQ(chain->current().access_key_id, "CRED");
}

TEST(ProfileCredentials, MissingNamedProfileNamesFilesAndProfile) {
  testing::TempDir dir;
  const std::string credentials_path = dir.write("credentials", "[default]\naws_access_key_id = K\n"
                                                                "aws_secret_access_key = S\n");
  auto chain = default_credentials_chain(offline({{"AWS_SHARED_CREDENTIALS_FILE", credentials_path},
                                                  {"AWS_CONFIG_FILE", dir.file("no-config")},
                                                  {"AWS_PROFILE", "typo"}}));
  const std::string message = unauthenticated_from(*chain);
  EXPECT_THAT(message, HasSubstr("profile 'typo' was not found in " + credentials_path + " or " +
                                 dir.file("no-config") + " (which does not exist)"));
  EXPECT_THAT(message, HasSubstr("configured but broken"));
  EXPECT_THAT(message, Not(HasSubstr("EC2")));  // it stopped there
}

TEST(ProfileCredentials, BrokenProfilesStopTheChain) {
  testing::TempDir dir;
  const auto message_for = [&](const std::string& credentials) {
    auto chain = default_credentials_chain(offline({{"AWS_SHARED_CREDENTIALS_FILE", dir.write("c", credentials)},
                                                    {"AWS_CONFIG_FILE", dir.file("none")}}));
    return unauthenticated_from(*chain);
  };
  EXPECT_THAT(message_for("[default]\naws_access_key_id = K\n"),
              HasSubstr("profile 'default' in " + dir.file("c") + " has aws_access_key_id but no aws_secret_access_key"));
  EXPECT_THAT(message_for("[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n"),
              HasSubstr("'role_arn', which ronde does not support"));
  EXPECT_THAT(message_for("[default]\nthis line is wrong\n"), HasSubstr(dir.file("c") + ":2:"));
}

TEST(ProfileCredentials, ARegionOnlyDefaultProfileFallsThrough) {
  testing::TempDir dir;
  dir.write(".aws/config", "[default]\nregion = eu-west-1\n");
  auto chain = default_credentials_chain(offline({{"HOME", dir.path()}}));
  const std::string message = unauthenticated_from(*chain);
  EXPECT_THAT(message, HasSubstr("no AWS credentials for profile 'default'"));
  EXPECT_THAT(message, HasSubstr("environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"));
  EXPECT_THAT(message, HasSubstr("shared files: profile 'default' in " + dir.file(".aws/config") +
                                 " has no aws_access_key_id"));
  EXPECT_THAT(message, HasSubstr("container endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
                                 "AWS_CONTAINER_CREDENTIALS_FULL_URI are not set"));
  EXPECT_THAT(message, HasSubstr("EC2 instance metadata: AWS_EC2_METADATA_DISABLED is true"));
}

TEST(ProfileCredentials, NoFilesAtAll) {
  auto chain = default_credentials_chain(offline());
  EXPECT_THAT(unauthenticated_from(*chain), HasSubstr("shared files: no shared files"));
}

TEST(ContainerCredentials, PlainHttpOnlyToLoopbackOrEcs) {
  auto chain = default_credentials_chain(offline({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/creds"}}));
  EXPECT_THAT(unauthenticated_from(*chain), HasSubstr("uses plain http to a host that is neither loopback"));
  auto bad_scheme = default_credentials_chain(offline({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", "file:///etc/creds"}}));
  EXPECT_THAT(unauthenticated_from(*bad_scheme), HasSubstr("is not an http(s) URL"));
}

}  // namespace
}  // namespace ronde::aws

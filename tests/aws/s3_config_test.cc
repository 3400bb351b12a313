#include "aws/s3_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "aws/endpoint_url.h"
#include "aws/s3_uri.h"
#include "ronde/core/error.h"
#include "environments.h"
#include "support/temp_dir.h"
#include "support/test_helpers.h"

namespace ronde::aws {
namespace {

using checkpoint::Addressing;
using checkpoint::StorageOptions;
using ::testing::HasSubstr;

// Options with every S3 field empty (StorageOptions{} reads nothing from the environment).
StorageOptions no_options() { return StorageOptions{}; }

using ronde::testing::error_message;


TEST(S3Uri, BucketPrefixAndQuery) {
  const S3Uri uri = parse_s3_uri("s3://my-bucket/runs/run-7/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1"
                                 "&addressing=path&profile=ci");
  EXPECT_EQ(uri.bucket, "my-bucket");
  EXPECT_EQ(uri.prefix, "runs/run-7");
  EXPECT_EQ(uri.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(uri.region, "eu-west-1");
  EXPECT_EQ(uri.addressing, "path");
  EXPECT_EQ(uri.profile, "ci");

  const S3Uri bare = parse_s3_uri("s3://abc");
  EXPECT_EQ(bare.bucket, "abc");
  EXPECT_EQ(bare.prefix, "");
  EXPECT_FALSE(bare.endpoint.has_value());
  EXPECT_EQ(parse_s3_uri("s3://abc/").prefix, "");
  EXPECT_EQ(parse_s3_uri("s3://abc/x?endpoint=http://h:1").endpoint, "http://h:1");
}

TEST(S3Uri, BadBucketNames) {
  for (const char* bucket : {"ab", "Upper", "under_score", "-start", "end-", "a..b", "a.-b", "192.168.1.1",
                             "this-bucket-name-is-far-too-long-for-s3-because-it-has-more-than-63-chars"}) {
    const std::string uri = std::string("s3://") + bucket + "/p";
    const std::string message = error_message(ErrorCode::InvalidArgument, [&] { parse_s3_uri(uri); });
    EXPECT_THAT(message, HasSubstr("bucket '" + std::string(bucket) + "'")) << uri;
    EXPECT_THAT(message, HasSubstr(uri));
  }
  EXPECT_EQ(bucket_name_problem("my.dotted-bucket-01"), "");
}

TEST(S3Uri, MalformedUris) {
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("gs://bucket"); }), HasSubstr("does not start with s3://"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("s3:///prefix"); }), HasSubstr("no bucket"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("s3://bucket/a//b"); }), HasSubstr("prefix 'a//b'"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("s3://bucket/a/../b"); }), HasSubstr("'..'"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("s3://bucket?colour=red"); }),
              HasSubstr("unknown query parameter 'colour'"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("s3://bucket?region=a&region=b"); }),
              HasSubstr("'region' is given twice"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("s3://bucket?region="); }), HasSubstr("'region' is empty"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { parse_s3_uri("s3://bucket?endpoint=http%3"); }),
              HasSubstr("'endpoint' has a bad %-escape"));
}

TEST(EndpointUrl, ParsesAndRejects) {
  EXPECT_EQ(parse_endpoint_url("http://127.0.0.1:9000", "x").str(), "http://127.0.0.1:9000");
  EXPECT_EQ(parse_endpoint_url("HTTPS://S3.Example.com/", "x").str(), "https://s3.example.com");
  EXPECT_EQ(parse_endpoint_url("http://[::1]:9000", "x").authority(), "[::1]:9000");
  EXPECT_EQ(parse_endpoint_url("http://minio", "x").port, "");
  for (const char* bad : {"127.0.0.1:9000", "ftp://host", "http://", "http://host:0", "http://host:99999",
                          "http://host:x", "http://host/bucket", "http://host?x=1", "http://user@host",
                          "http://ho st", "http://[::1"}) {
    EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [&] { parse_endpoint_url(bad, "AWS_ENDPOINT_URL"); }),
                HasSubstr(std::string("AWS_ENDPOINT_URL is '") + bad + "'"));
  }
  EXPECT_TRUE(is_aws_host("s3.eu-west-1.amazonaws.com"));
  EXPECT_TRUE(is_aws_host("s3.cn-north-1.amazonaws.com.cn"));
  EXPECT_FALSE(is_aws_host("amazonaws.com.evil.example"));
  EXPECT_EQ(aws_s3_endpoint("cn-north-1"), "https://s3.cn-north-1.amazonaws.com.cn");
}

TEST(S3Config, DefaultsAreAwsVirtualHosted) {
  const S3Config config = resolve_s3_config("s3://my-bucket/runs/7", no_options(), MapEnvironment());
  EXPECT_EQ(config.bucket, "my-bucket");
  EXPECT_EQ(config.prefix, "runs/7");
  EXPECT_EQ(config.region, "us-east-1");
  EXPECT_EQ(config.endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(config.addressing, Addressing::VirtualHosted);
  EXPECT_EQ(config.profile, "default");
  EXPECT_EQ(config.ca_bundle, "");
  EXPECT_TRUE(config.uses_tls());
  EXPECT_EQ(config.request_host(), "my-bucket.s3.us-east-1.amazonaws.com");
  EXPECT_EQ(config.object_path("step-1/shard 0"), "/runs/7/step-1/shard 0");
  EXPECT_EQ(config.object_path(""), "/");
}

TEST(S3Config, CustomEndpointIsPathStyle) {
  MapEnvironment env = testing::env_with({{"AWS_ENDPOINT_URL", "http://127.0.0.1:9000/"}});
  const S3Config config = resolve_s3_config("s3://bucket", no_options(), env);
  EXPECT_EQ(config.endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(config.addressing, Addressing::Path);
  EXPECT_FALSE(config.uses_tls());
  EXPECT_EQ(config.request_host(), "127.0.0.1:9000");
  EXPECT_EQ(config.object_path("k"), "/bucket/k");
  EXPECT_EQ(config.object_path(""), "/bucket");
}

TEST(S3Config, DottedBucketOnAwsTlsIsPathStyle) {
  MapEnvironment env = testing::env_with({{"AWS_REGION", "eu-west-1"}});
  const S3Config config = resolve_s3_config("s3://my.bucket/p", no_options(), env);
  EXPECT_EQ(config.addressing, Addressing::Path);
  EXPECT_EQ(config.request_host(), "s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(config.object_path("k"), "/my.bucket/p/k");
  // Without TLS the dots do not matter.
  env.set("AWS_ENDPOINT_URL_S3", "http://s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve_s3_config("s3://my.bucket/p", no_options(), env).addressing, Addressing::VirtualHosted);
}

TEST(S3Config, ExplicitAddressingWins) {
  StorageOptions options = no_options();
  options.addressing = Addressing::Path;
  EXPECT_EQ(resolve_s3_config("s3://bucket?addressing=virtual", options, MapEnvironment()).addressing, Addressing::Path);
  const S3Config virtual_hosted =
      resolve_s3_config("s3://bucket?addressing=virtual&endpoint=http://minio.local:9000", no_options(), MapEnvironment());
  EXPECT_EQ(virtual_hosted.addressing, Addressing::VirtualHosted);
  EXPECT_EQ(virtual_hosted.request_host(), "bucket.minio.local:9000");
  EXPECT_EQ(resolve_s3_config("s3://bucket?addressing=auto", no_options(), MapEnvironment()).addressing,
            Addressing::VirtualHosted);
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] { resolve_s3_config("s3://bucket?addressing=dns", no_options(), MapEnvironment()); }),
              HasSubstr("query parameter 'addressing' of 's3://bucket?addressing=dns' is 'dns'"));
}

// One setting at each level; removing the highest one at a time must reveal the next.
TEST(S3Config, PrecedenceOptionsQueryEnvironmentConfigFileDefaults) {
  testing::TempDir dir;
  const std::string config_path = dir.write("config",
                                            "[profile ci]\n"
                                            "region = from-config\n"
                                            "endpoint_url = http://config-general:1\n"
                                            "s3 =\n"
                                            "  endpoint_url = http://config-s3:2\n"
                                            "  addressing_style = virtual\n"
                                            "[default]\n"
                                            "region = default-region\n");
  MapEnvironment env = testing::env_with({{"AWS_CONFIG_FILE", config_path},
                      {"AWS_PROFILE", "ci"},
                      {"AWS_REGION", "from-env"},
                      {"AWS_DEFAULT_REGION", "from-default-env"},
                      {"AWS_ENDPOINT_URL_S3", "http://env-s3:3"},
                      {"AWS_ENDPOINT_URL", "http://env-general:4"}});
  StorageOptions options = no_options();
  options.region = "from-options";
  options.endpoint = "http://options:5";
  const std::string query_uri = "s3://bucket?region=from-query&endpoint=http://query:6&addressing=path";

  S3Config config = resolve_s3_config(query_uri, options, env);
  EXPECT_EQ(config.region, "from-options");
  EXPECT_EQ(config.endpoint, "http://options:5");
  EXPECT_EQ(config.profile, "ci");

  options = no_options();
  config = resolve_s3_config(query_uri, options, env);
  EXPECT_EQ(config.region, "from-query");
  EXPECT_EQ(config.endpoint, "http://query:6");
  EXPECT_EQ(config.addressing, Addressing::Path);

  config = resolve_s3_config("s3://bucket", options, env);
  EXPECT_EQ(config.region, "from-env");
  EXPECT_EQ(config.endpoint, "http://env-s3:3");
  EXPECT_EQ(config.addressing, Addressing::VirtualHosted);  // the profile's s3 addressing_style

  env = testing::env_with({{"AWS_CONFIG_FILE", config_path}, {"AWS_PROFILE", "ci"},
                        {"AWS_DEFAULT_REGION", "from-default-env"}, {"AWS_ENDPOINT_URL", "http://env-general:4"}});
  config = resolve_s3_config("s3://bucket", options, env);
  EXPECT_EQ(config.region, "from-default-env");
  EXPECT_EQ(config.endpoint, "http://env-general:4");

  env = testing::env_with({{"AWS_CONFIG_FILE", config_path}, {"AWS_PROFILE", "ci"}});
  config = resolve_s3_config("s3://bucket", options, env);
  EXPECT_EQ(config.region, "from-config");
  EXPECT_EQ(config.endpoint, "http://config-s3:2");  // the s3 block beats the profile's general endpoint_url

  // The query's profile beats AWS_PROFILE; options beat the query.
  config = resolve_s3_config("s3://bucket?profile=default", options, env);
  EXPECT_EQ(config.profile, "default");
  EXPECT_EQ(config.region, "default-region");
  EXPECT_EQ(config.endpoint, "https://s3.default-region.amazonaws.com");
  options.profile = "ci";
  EXPECT_EQ(resolve_s3_config("s3://bucket?profile=default", options, env).region, "from-config");

  // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS drops endpoints from variables and files, not explicit ones.
  env.set("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true");
  env.set("AWS_ENDPOINT_URL", "http://env-general:4");
  EXPECT_EQ(resolve_s3_config("s3://bucket", no_options(), env).endpoint, "https://s3.from-config.amazonaws.com");
  EXPECT_EQ(resolve_s3_config("s3://bucket?endpoint=http://q:1", no_options(), env).endpoint, "http://q:1");

  // Nothing at all: defaults (a profile missing from the config file is not an error here).
  config = resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"AWS_CONFIG_FILE", config_path},
                                                                           {"AWS_PROFILE", "absent"}}));
  EXPECT_EQ(config.region, "us-east-1");
  EXPECT_EQ(config.profile, "absent");
}

TEST(S3Config, ConfigFileUnderHome) {
  testing::TempDir dir;
  dir.write(".aws/config", "[default]\nregion = ap-south-1\n");
  const S3Config config = resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"HOME", dir.path()}}));
  EXPECT_EQ(config.region, "ap-south-1");
  EXPECT_EQ(config.endpoint, "https://s3.ap-south-1.amazonaws.com");
}

TEST(S3Config, ErrorsNameTheirSource) {
  testing::TempDir dir;
  const std::string config_path = dir.write("config", "[default]\nendpoint_url = localhost:9000\n");
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [&] {
                resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"AWS_CONFIG_FILE", config_path}}));
              }),
              HasSubstr("key 'endpoint_url' of profile 'default' in " + config_path + " is 'localhost:9000'"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] {
                resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"AWS_ENDPOINT_URL_S3", "ftp://x"}}));
              }),
              HasSubstr("AWS_ENDPOINT_URL_S3 is 'ftp://x'"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] {
                resolve_s3_config("s3://bucket?endpoint=http://h/path", no_options(), MapEnvironment());
              }),
              HasSubstr("query parameter 'endpoint'"));
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [] {
                resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"AWS_REGION", "eu west"}}));
              }),
              HasSubstr("AWS_REGION is 'eu west'"));
  StorageOptions options = no_options();
  options.ca_bundle = dir.file("missing.pem");
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [&] { resolve_s3_config("s3://bucket", options, MapEnvironment()); }),
              HasSubstr("StorageOptions::ca_bundle names the CA bundle '" + dir.file("missing.pem") + "'"));
  const std::string broken_config = dir.write("broken", "[default]\nnot a pair\n");
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [&] {
                resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"AWS_CONFIG_FILE", broken_config}}));
              }),
              HasSubstr(broken_config + ":2:"));
}

TEST(S3Config, CaBundleAndEncryption) {
  testing::TempDir dir;
  const std::string pem = dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const std::string config_path = dir.write("config", "[default]\nca_bundle = " + pem + "\n");
  EXPECT_EQ(resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"AWS_CONFIG_FILE", config_path}})).ca_bundle,
            pem);
  EXPECT_EQ(resolve_s3_config("s3://bucket", no_options(), testing::env_with({{"AWS_CA_BUNDLE", pem}})).ca_bundle, pem);
  StorageOptions options = no_options();
  options.sse = checkpoint::ServerSideEncryption::Kms;
  options.sse_kms_key_id = "key-1";
  const S3Config config = resolve_s3_config("s3://bucket", options, MapEnvironment());
  EXPECT_EQ(config.sse, checkpoint::ServerSideEncryption::Kms);
  EXPECT_EQ(config.sse_kms_key_id, "key-1");
}

}  // namespace
}  // namespace ronde::aws

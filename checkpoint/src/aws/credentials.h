// AWS credentials for the S3 backend, found the way the AWS CLI and SDKs find them.
//
// The default chain tries, in order, and uses the first source that yields credentials:
//   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
//   2. the shared credentials file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) and the
//      config file (AWS_CONFIG_FILE, else ~/.aws/config), profile AWS_PROFILE or "default";
//   3. the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on
//      169.254.170.2, or AWS_CONTAINER_CREDENTIALS_FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN
//      or AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE);
//   4. EC2 instance metadata, IMDSv2 (a session token from PUT /latest/api/token, then the
//      instance role's credentials); AWS_EC2_METADATA_DISABLED=true skips it and
//      AWS_EC2_METADATA_SERVICE_ENDPOINT moves it (tests point it at a local fake).
// Temporary credentials (3, 4) are refreshed when they are within five minutes of expiring.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ronde/core/env.h"
#include "s3/sigv4.h"

namespace ronde::aws {

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // The credentials to sign the next request with, refreshed before expiry. Thread-safe. Throws
  // Error(Unauthenticated) naming every source tried and why each gave nothing.
  virtual s3::Credentials current() = 0;
  // Where the credentials come from, for messages: "environment", "profile 'ci' in
  // /root/.aws/credentials", "container endpoint http://169.254.170.2/v2/...", "EC2 instance
  // metadata (role 'trainer')".
  virtual std::string describe() const = 0;
};

// The chain above. `profile` empty means AWS_PROFILE, else "default". Sources are probed on the
// first current() call, not here.
std::unique_ptr<CredentialsProvider> default_credentials_chain(const Environment& env, std::string_view profile = {});

// Fixed credentials (from options or tests).
std::unique_ptr<CredentialsProvider> static_credentials(s3::Credentials credentials, std::string description);

}  // namespace ronde::aws

// The sources of the default credential chain (see credentials.h for the order), each probed on
// its own. credentials.cc strings them together, caches and refreshes.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/metadata_http.h"
#include "ronde/core/env.h"
#include "s3/sigv4.h"

namespace ronde::aws {

struct TimedCredentials {
  s3::Credentials credentials;
  std::optional<std::chrono::system_clock::time_point> expiration;  // none: they do not expire
  std::string source;  // for describe(): "environment", "profile 'ci' in /root/.aws/credentials", ...
};

// What probing one source found: credentials, or why it had none. `fatal` means the source was
// configured but is broken (half a key pair, a named profile that does not exist, an unparsable
// file, a failing container endpoint): the chain stops there instead of falling through to
// another identity, which would hide the mistake.
struct Probe {
  std::optional<TimedCredentials> credentials;
  std::string why_not;
  bool fatal = false;

  static Probe found(TimedCredentials credentials) { return {std::move(credentials), {}, false}; }
  static Probe nothing(std::string why) { return {std::nullopt, std::move(why), false}; }
  static Probe broken(std::string why) { return {std::nullopt, std::move(why), true}; }
};

// 1. AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
Probe probe_environment(const Environment& env);

// 2. aws_access_key_id / aws_secret_access_key / aws_session_token of `profile` in the shared
// credentials file, else in the config file's [profile NAME] section. `named`: the profile is
// not "default", so somebody chose it and its absence is fatal (a missing default profile is
// normal on EC2, ECS and SageMaker).
Probe probe_profile(const Environment& env, std::string_view profile, bool named);

// 3. The container credentials endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI resolved against
// `container_host` ("http://169.254.170.2" in the default chain), else
// AWS_CONTAINER_CREDENTIALS_FULL_URI.
Probe probe_container(const Environment& env, const HttpTimeouts& timeouts, std::string_view container_host);

// 4. EC2 instance metadata (IMDSv2).
Probe probe_instance_metadata(const Environment& env, const HttpTimeouts& timeouts);

}  // namespace ronde::aws

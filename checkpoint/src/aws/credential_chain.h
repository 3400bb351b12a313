// The default chain with its timing knobs exposed, for tests (default_credentials_chain uses the
// defaults below).
//
// Caching and refresh: credentials without an expiration are kept for the provider's life.
// Temporary ones are refreshed (the whole chain probed again) once they are within
// `refresh_window` of expiring. One caller refreshes at a time; while it does, the others keep
// using the current credentials if they have not expired yet, or wait for its result (and share
// its failure: a failed refresh is not repeated by every waiting thread). When a refresh fails
// and the current credentials are still valid they are used, and no new refresh is tried for
// `retry_interval`.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "aws/credentials.h"
#include "aws/metadata_http.h"

namespace ronde::aws {

struct ChainSettings {
  std::chrono::seconds refresh_window{300};
  std::chrono::seconds retry_interval{10};
  HttpTimeouts metadata_timeouts{};  // container endpoint and instance metadata
  // What AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is resolved against: the ECS / SageMaker container
  // credential address (tests point it at a fake on 127.0.0.1).
  std::string container_host = "http://169.254.170.2";
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
};

std::unique_ptr<CredentialsProvider> make_credentials_chain(const Environment& env, std::string_view profile,
                                                            ChainSettings settings);

}  // namespace ronde::aws

// The JSON document the container endpoint and EC2 instance metadata answer with:
//   {"Code": "Success", "AccessKeyId": "...", "SecretAccessKey": "...", "Token": "...",
//    "Expiration": "2024-05-01T12:00:00Z", ...}
// ("Code" only from instance metadata; any other value than Success is a failure).
#pragma once

#include <chrono>
#include <string_view>

#include "aws/credential_sources.h"

namespace ronde::aws {

// Parses `body`; `source` names the endpoint in errors and becomes the result's source. A body
// that is not such a document is Error(Unauthenticated) naming the source and the missing field
// (never quoting secrets).
TimedCredentials parse_credentials_json(std::string_view body, std::string_view source);

// "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" as a UTC time point; Error(InvalidArgument) naming
// `what` otherwise.
std::chrono::system_clock::time_point parse_iso8601(std::string_view text, std::string_view what);

}  // namespace ronde::aws

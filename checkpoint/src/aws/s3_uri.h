// The parts of "s3://bucket[/prefix][?query]".
//
// The bucket must follow S3's naming rules (3-63 characters of a-z 0-9 . -, starting and ending
// with a letter or digit, no "..", not an IPv4 address). The prefix is the path without leading or
// trailing '/'; its segments must be non-empty and not "." or "..". The query may hold each of
// endpoint, region, addressing (auto|path|virtual) and profile once, non-empty, percent-encoding
// allowed in values; any other parameter is an error. Every error is Error(InvalidArgument) naming
// the URI and the offending part.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ronde::aws {

struct S3Uri {
  std::string bucket;
  std::string prefix;
  std::optional<std::string> endpoint;
  std::optional<std::string> region;
  std::optional<std::string> addressing;
  std::optional<std::string> profile;
};

S3Uri parse_s3_uri(std::string_view uri);

// Why `bucket` is not a valid S3 bucket name, or empty when it is.
std::string bucket_name_problem(std::string_view bucket);

}  // namespace ronde::aws

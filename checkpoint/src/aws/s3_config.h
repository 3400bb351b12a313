// Where an s3:// URI points and how to talk to it, resolved from the URI, StorageOptions and the
// AWS environment. Precedence, highest first: StorageOptions fields (StorageOptions::from_env
// fills some of them from RONDE_S3_* variables), the URI's query
// (?endpoint=...&region=...&addressing=path|virtual&profile=...), AWS_* variables
// (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION, AWS_DEFAULT_REGION, AWS_PROFILE,
// AWS_CA_BUNDLE), the profile's settings in the config file (region, endpoint_url, ca_bundle),
// then defaults: AWS's endpoint for the region (https://s3.<region>.amazonaws.com), region
// us-east-1, virtual-hosted addressing on AWS and path-style elsewhere (or when the bucket name
// is not a valid DNS label for TLS).
#pragma once

#include <string>
#include <string_view>

#include "ronde/checkpoint/storage.h"
#include "ronde/core/env.h"

namespace ronde::aws {

struct S3Config {
  std::string bucket;
  std::string prefix;         // the URI's path without leading or trailing '/'; may be empty
  std::string endpoint;       // "scheme://host[:port]" with no path, e.g. "http://127.0.0.1:9000"
  std::string region;
  checkpoint::Addressing addressing = checkpoint::Addressing::Path;  // Path or VirtualHosted, never Auto
  std::string profile;        // the profile credentials are read from
  std::string ca_bundle;      // empty: the system's CAs
  checkpoint::ServerSideEncryption sse = checkpoint::ServerSideEncryption::None;
  std::string sse_kms_key_id;

  bool uses_tls() const;                   // endpoint is https
  // The host (and port) requests go to: "bucket.s3.us-east-1.amazonaws.com" or "127.0.0.1:9000".
  std::string request_host() const;
  // The URL path of an object key (unencoded, starting with '/'): "/bucket/prefix/key" (path
  // style) or "/prefix/key" (virtual-hosted). An empty key names the bucket itself.
  std::string object_path(std::string_view key) const;
};

// Throws Error(InvalidArgument) naming the URI, variable or query parameter that is malformed.
S3Config resolve_s3_config(std::string_view uri, const checkpoint::StorageOptions& options, const Environment& env);

}  // namespace ronde::aws

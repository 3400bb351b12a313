// Endpoint URLs ("http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com") and AWS's own
// S3 endpoints.
#pragma once

#include <string>
#include <string_view>

namespace ronde::aws {

struct EndpointUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // a name, an IPv4 address or a bracketed IPv6 address
  std::string port;    // decimal, empty for the scheme's default

  std::string authority() const;  // host[:port]
  std::string str() const;        // scheme://host[:port]
};

// Parses "http[s]://host[:port][/]"; a path other than "/", a query, a fragment or user
// information is rejected. Errors are Error(InvalidArgument) naming `what` (the variable, option,
// query parameter or config file key the text came from) and quoting the text.
EndpointUrl parse_endpoint_url(std::string_view text, std::string_view what);

// Whether `host` is one of AWS's endpoints (*.amazonaws.com, *.amazonaws.com.cn).
bool is_aws_host(std::string_view host);

// AWS's S3 endpoint for `region`: https://s3.<region>.amazonaws.com (.com.cn in China regions).
std::string aws_s3_endpoint(std::string_view region);

}  // namespace ronde::aws

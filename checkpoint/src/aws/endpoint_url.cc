#include "aws/endpoint_url.h"

#include <algorithm>
#include <cctype>

#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

[[noreturn]] void bad_endpoint(std::string_view text, std::string_view what, std::string_view why) {
  throw Error(ErrorCode::InvalidArgument, std::string(what) + " is '" + std::string(text) +
                                              "', which is not an endpoint URL like http://127.0.0.1:9000: " +
                                              std::string(why));
}

std::string lowered(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), [](unsigned char c) { return std::tolower(c); });
  return result;
}

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_';
}

}  // namespace

std::string EndpointUrl::authority() const { return port.empty() ? host : host + ":" + port; }

std::string EndpointUrl::str() const { return scheme + "://" + authority(); }

EndpointUrl parse_endpoint_url(std::string_view text, std::string_view what) {
  EndpointUrl url;
  const auto separator = text.find("://");
  if (separator == std::string_view::npos) bad_endpoint(text, what, "no scheme (http:// or https://)");
  url.scheme = lowered(text.substr(0, separator));
  if (url.scheme != "http" && url.scheme != "https") bad_endpoint(text, what, "the scheme must be http or https");

  std::string_view rest = text.substr(separator + 3);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.find_first_of("/?#") != std::string_view::npos) {
    bad_endpoint(text, what, "it must have no path, query or fragment (the bucket goes in the s3:// URI)");
  }
  if (rest.find('@') != std::string_view::npos) bad_endpoint(text, what, "it must have no user information");

  std::string_view host = rest;
  std::string_view port;
  bool has_port = false;
  if (rest.starts_with('[')) {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string_view::npos) bad_endpoint(text, what, "an IPv6 address without ']'");
    host = rest.substr(0, close + 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') bad_endpoint(text, what, "unexpected text after the IPv6 address");
      port = after.substr(1);
      has_port = true;
    }
    if (host.size() <= 2) bad_endpoint(text, what, "an empty IPv6 address");
  } else {
    const auto colon = rest.find(':');
    if (colon != std::string_view::npos) {
      host = rest.substr(0, colon);
      port = rest.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) bad_endpoint(text, what, "no host");
    if (!std::all_of(host.begin(), host.end(), is_host_char)) bad_endpoint(text, what, "the host has invalid characters");
  }
  const bool digits_only =
      !port.empty() && port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (has_port && (!digits_only || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535)) {
    bad_endpoint(text, what, "the port must be a number from 1 to 65535");
  }
  url.host = lowered(host);
  url.port = std::string(port);
  return url;
}

bool is_aws_host(std::string_view host) {
  return host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
}

std::string aws_s3_endpoint(std::string_view region) {
  const std::string suffix = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://s3." + std::string(region) + suffix;
}

}  // namespace ronde::aws

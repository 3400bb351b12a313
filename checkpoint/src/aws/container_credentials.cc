// Source 3 of the chain: the container credentials endpoint (ECS tasks, SageMaker, EKS Pod
// Identity). GET the URI, with the authorization token when one is configured; the answer is
// the JSON of credentials_json.h.
#include <cctype>
#include <fstream>
#include <sstream>

#include "aws/credential_sources.h"
#include "aws/credentials_json.h"
#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

// The host of `url` ("http://host:port/path"), lower-cased, without brackets for IPv6.
std::string host_of(std::string_view url) {
  const auto separator = url.find("://");
  std::string_view rest = separator == std::string_view::npos ? url : url.substr(separator + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  if (rest.starts_with('[')) return std::string(rest.substr(1, rest.find(']') - 1));
  std::string host(rest.substr(0, rest.find(':')));
  for (auto& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

// A full URI may be plain http only to this machine or to the ECS/EKS credential addresses, so
// that the token and the credentials never cross a network in the clear.
bool plain_http_allowed(const std::string& host) {
  return host == "localhost" || host.starts_with("127.") || host == "::1" || host == "169.254.170.2" ||
         host == "169.254.170.23" || host == "fd00:ec2::23";
}

// The Authorization header value: AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE's content (read on every
// fetch: it is rotated), else AWS_CONTAINER_AUTHORIZATION_TOKEN, else none.
std::optional<std::string> authorization_token(const Environment& env) {
  if (auto path = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); path && !path->empty()) {
    std::ifstream stream(*path, std::ios::binary);
    if (!stream) {
      throw Error(ErrorCode::Unauthenticated, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + *path);
    }
    std::ostringstream text;
    text << stream.rdbuf();
    std::string token = text.str();
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return token;
  }
  if (auto token = env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"); token && !token->empty()) return token;
  return std::nullopt;
}

}  // namespace

Probe probe_container(const Environment& env, const HttpTimeouts& timeouts, std::string_view container_host) {
  const auto relative = env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const auto full = env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  std::string url;
  if (relative && !relative->empty()) {
    url = std::string(container_host) + (relative->starts_with('/') ? "" : "/") + *relative;
  } else if (full && !full->empty()) {
    url = *full;
    const bool https = url.starts_with("https://");
    if (!https && !url.starts_with("http://")) {
      return Probe::broken("AWS_CONTAINER_CREDENTIALS_FULL_URI '" + url + "' is not an http(s) URL");
    }
    if (!https && !plain_http_allowed(host_of(url))) {
      return Probe::broken("AWS_CONTAINER_CREDENTIALS_FULL_URI '" + url +
                           "' uses plain http to a host that is neither loopback nor an ECS/EKS credential address");
    }
  } else {
    return Probe::nothing("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI are not set");
  }

  const std::string source = "container endpoint " + url;
  try {
    std::vector<std::string> headers{"Accept: application/json"};
    if (auto token = authorization_token(env)) {
      if (token->find_first_of("\r\n") != std::string::npos) {
        return Probe::broken("the container authorization token contains a line break");
      }
      headers.push_back("Authorization: " + *token);
    }
    const HttpResponse response = metadata_request("GET", url, headers, timeouts);
    if (response.status != 200) {
      return Probe::broken(source + " answered HTTP " + std::to_string(response.status) + ": " +
                           response.body.substr(0, 200));
    }
    return Probe::found(parse_credentials_json(response.body, source));
  } catch (const Error& error) {
    return Probe::broken(error.message());
  }
}

}  // namespace ronde::aws

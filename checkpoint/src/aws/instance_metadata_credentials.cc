// Source 4 of the chain: EC2 instance metadata, IMDSv2 only. A session token from
// PUT /latest/api/token, then the role name from /latest/meta-data/iam/security-credentials/,
// then that role's credentials (the JSON of credentials_json.h), each request carrying the token.
// Nothing here is fatal: off EC2 the endpoint simply does not answer.
#include "aws/credential_sources.h"
#include "aws/credentials_json.h"
#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

constexpr std::string_view kDefaultEndpoint = "http://169.254.169.254";
constexpr std::string_view kTokenTtlSeconds = "21600";
constexpr std::string_view kCredentialsPath = "/latest/meta-data/iam/security-credentials/";

}  // namespace

Probe probe_instance_metadata(const Environment& env, const HttpTimeouts& timeouts) {
  if (env.get_bool("AWS_EC2_METADATA_DISABLED", false)) return Probe::nothing("AWS_EC2_METADATA_DISABLED is true");
  std::string endpoint = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(std::string(kDefaultEndpoint));
  if (endpoint.empty()) endpoint = kDefaultEndpoint;
  while (endpoint.ends_with('/')) endpoint.pop_back();
  const std::string where = "EC2 instance metadata at " + endpoint;

  try {
    const HttpResponse token = metadata_request("PUT", endpoint + "/latest/api/token",
                                                {"X-aws-ec2-metadata-token-ttl-seconds: " + std::string(kTokenTtlSeconds)},
                                                timeouts);
    if (token.status != 200 || token.body.empty()) {
      return Probe::nothing(where + ": PUT /latest/api/token answered HTTP " + std::to_string(token.status) +
                            " (ronde uses IMDSv2 only)");
    }
    const std::vector<std::string> headers{"X-aws-ec2-metadata-token: " + token.body};

    const HttpResponse roles = metadata_request("GET", endpoint + std::string(kCredentialsPath), headers, timeouts);
    if (roles.status == 404) return Probe::nothing(where + ": the instance has no IAM role");
    if (roles.status != 200) {
      return Probe::nothing(where + ": GET " + std::string(kCredentialsPath) + " answered HTTP " +
                            std::to_string(roles.status));
    }
    std::string role = roles.body.substr(0, roles.body.find_first_of("\r\n"));
    while (!role.empty() && (role.back() == ' ' || role.back() == '\t')) role.pop_back();
    if (role.empty()) return Probe::nothing(where + ": the instance has no IAM role");

    const std::string role_path = std::string(kCredentialsPath) + role;
    const HttpResponse credentials = metadata_request("GET", endpoint + role_path, headers, timeouts);
    if (credentials.status != 200) {
      return Probe::nothing(where + ": GET " + role_path + " answered HTTP " + std::to_string(credentials.status));
    }
    TimedCredentials result = parse_credentials_json(credentials.body, where);
    result.source = "EC2 instance metadata (role '" + role + "')";
    return Probe::found(std::move(result));
  } catch (const Error& error) {
    return Probe::nothing(error.message());
  }
}

}  // namespace ronde::aws

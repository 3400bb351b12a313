// Source 1 of the chain: the AWS_* key variables.
#include "aws/credential_sources.h"

namespace ronde::aws {

Probe probe_environment(const Environment& env) {
  const auto access_key = env.get("AWS_ACCESS_KEY_ID");
  const auto secret_key = env.get("AWS_SECRET_ACCESS_KEY");
  const bool has_access = access_key && !access_key->empty();
  const bool has_secret = secret_key && !secret_key->empty();
  if (!has_access && !has_secret) return Probe::nothing("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  if (!has_access) return Probe::broken("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (!has_secret) return Probe::broken("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");

  TimedCredentials result;
  result.credentials.access_key_id = *access_key;
  result.credentials.secret_access_key = *secret_key;
  result.credentials.session_token = env.get("AWS_SESSION_TOKEN").value_or("");
  result.source = "environment";
  return Probe::found(std::move(result));
}

}  // namespace ronde::aws

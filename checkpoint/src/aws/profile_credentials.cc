// Source 2 of the chain: the profile's keys in the shared credentials file or the config file.
#include <vector>

#include "aws/credential_sources.h"
#include "aws/ini_file.h"
#include "aws/shared_files.h"
#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

// Profile settings that obtain credentials in ways ronde does not implement.
constexpr std::string_view kUnsupportedKeys[] = {"role_arn", "credential_process", "sso_session", "sso_start_url",
                                                 "web_identity_token_file", "login_session"};

struct Candidate {
  const IniSection* section;
  std::string description;  // "profile 'ci' in /root/.aws/credentials"
};

// The keys of one profile section: credentials, nothing (no key at all), or broken.
Probe keys_of(const Candidate& candidate) {
  const auto access_key = ini_value(candidate.section, "aws_access_key_id");
  const auto secret_key = ini_value(candidate.section, "aws_secret_access_key");
  const bool has_access = access_key && !access_key->empty();
  const bool has_secret = secret_key && !secret_key->empty();
  if (has_access != has_secret) {
    return Probe::broken(candidate.description + " has " +
                         (has_access ? "aws_access_key_id but no aws_secret_access_key"
                                     : "aws_secret_access_key but no aws_access_key_id"));
  }
  if (!has_access) {
    for (const auto key : kUnsupportedKeys) {
      if (ini_value(candidate.section, key)) {
        return Probe::broken(candidate.description + " obtains credentials through '" + std::string(key) +
                             "', which ronde does not support; export them (aws configure export-credentials) "
                             "or use static keys");
      }
    }
    return Probe::nothing(candidate.description + " has no aws_access_key_id");
  }
  TimedCredentials result;
  result.credentials.access_key_id = *access_key;
  result.credentials.secret_access_key = *secret_key;
  result.credentials.session_token = ini_value(candidate.section, "aws_session_token").value_or("");
  result.source = candidate.description;
  return Probe::found(std::move(result));
}

}  // namespace

Probe probe_profile(const Environment& env, std::string_view profile, bool named) {
  const std::string name(profile);
  const std::string credentials_path = credentials_file_path(env);
  const std::string config_path = config_file_path(env);
  if (credentials_path.empty() && config_path.empty()) {
    return Probe::nothing("no shared files (HOME, AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE are unset)");
  }

  std::optional<IniFile> credentials_file, config_file;
  try {
    if (!credentials_path.empty()) credentials_file = read_ini_file(credentials_path);
    if (!config_path.empty()) config_file = read_ini_file(config_path);
  } catch (const Error& error) {
    return Probe::broken(error.message());
  }

  // The credentials file first, then the config file's section, as the AWS CLI does.
  std::vector<Candidate> candidates;
  if (credentials_file) {
    if (const auto* section = credentials_profile(*credentials_file, name)) {
      candidates.push_back({section, "profile '" + name + "' in " + credentials_path});
    }
  }
  if (config_file) {
    if (const auto* section = config_profile(*config_file, name)) {
      candidates.push_back({section, "profile '" + name + "' in " + config_path});
    }
  }
  if (candidates.empty()) {
    std::string where;
    const auto add = [&](const std::string& path, const std::optional<IniFile>& file) {
      if (path.empty()) return;
      where += (where.empty() ? "" : " or ") + path + (file ? "" : " (which does not exist)");
    };
    add(credentials_path, credentials_file);
    add(config_path, config_file);
    const std::string why = "profile '" + name + "' was not found in " + where;
    return named ? Probe::broken(why) : Probe::nothing(why);
  }

  std::string why_not;
  for (const auto& candidate : candidates) {
    Probe probe = keys_of(candidate);
    if (probe.credentials || probe.fatal) return probe;
    why_not += (why_not.empty() ? "" : "; ") + probe.why_not;
  }
  return Probe::nothing(why_not);
}

}  // namespace ronde::aws

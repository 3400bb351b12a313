#include "aws/s3_config.h"

#include <filesystem>
#include <optional>
#include <system_error>

#include "aws/endpoint_url.h"
#include "aws/ini_file.h"
#include "aws/s3_uri.h"
#include "aws/shared_files.h"
#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

using checkpoint::Addressing;

// A setting's value and where it came from (for messages).
struct Sourced {
  std::string value;
  std::string what;
};

// The first candidate that is set and not empty.
std::optional<Sourced> first_set(std::initializer_list<std::optional<Sourced>> candidates) {
  for (const auto& candidate : candidates) {
    if (candidate && !candidate->value.empty()) return candidate;
  }
  return std::nullopt;
}

std::optional<Sourced> from_option(const std::string& value, std::string_view field) {
  return Sourced{value, "StorageOptions::" + std::string(field)};
}

std::optional<Sourced> from_query(const std::optional<std::string>& value, std::string_view name, std::string_view uri) {
  if (!value) return std::nullopt;
  return Sourced{*value, "query parameter '" + std::string(name) + "' of '" + std::string(uri) + "'"};
}

std::optional<Sourced> from_env(const Environment& env, std::string_view variable) {
  auto value = env.get(variable);
  if (!value) return std::nullopt;
  return Sourced{*value, std::string(variable)};
}

// The config file's settings of one profile.
struct ProfileConfig {
  const IniSection* section = nullptr;
  std::string description;  // "profile 'ci' in /root/.aws/config"

  std::optional<Sourced> get(std::string_view key) const {
    auto value = ini_value(section, key);
    if (!value) return std::nullopt;
    std::string what = "key '";
    what.append(key).append("' of ").append(description);
    return Sourced{*value, std::move(what)};
  }
};

Addressing parse_addressing(const Sourced& setting) {
  if (setting.value == "auto") return Addressing::Auto;
  if (setting.value == "path") return Addressing::Path;
  if (setting.value == "virtual") return Addressing::VirtualHosted;
  throw Error(ErrorCode::InvalidArgument,
              setting.what + " is '" + setting.value + "'; expected auto, path or virtual");
}

std::string checked_region(const Sourced& setting) {
  for (char c : setting.value) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      throw Error(ErrorCode::InvalidArgument,
                  setting.what + " is '" + setting.value + "', which is not a region name like eu-west-1");
    }
  }
  return setting.value;
}

std::string checked_ca_bundle(const Sourced& setting) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(setting.value, error)) {
    throw Error(ErrorCode::InvalidArgument,
                setting.what + " names the CA bundle '" + setting.value + "', which is not a readable file");
  }
  return setting.value;
}

}  // namespace

bool S3Config::uses_tls() const { return endpoint.starts_with("https://"); }

std::string S3Config::request_host() const {
  const auto separator = endpoint.find("://");
  const std::string authority = separator == std::string::npos ? endpoint : endpoint.substr(separator + 3);
  return addressing == Addressing::VirtualHosted ? bucket + "." + authority : authority;
}

std::string S3Config::object_path(std::string_view key) const {
  std::string path = addressing == Addressing::VirtualHosted ? "" : "/" + bucket;
  if (!key.empty()) {
    if (!prefix.empty()) path += "/" + prefix;
    path += "/";
    path += key;
  }
  return path.empty() ? "/" : path;
}

S3Config resolve_s3_config(std::string_view uri, const checkpoint::StorageOptions& options, const Environment& env) {
  const S3Uri parsed = parse_s3_uri(uri);
  S3Config config;
  config.bucket = parsed.bucket;
  config.prefix = parsed.prefix;
  config.sse = options.sse;
  config.sse_kms_key_id = options.sse_kms_key_id;

  config.profile = first_set({from_option(options.profile, "profile"), from_query(parsed.profile, "profile", uri),
                              from_env(env, "AWS_PROFILE")})
                       .value_or(Sourced{"default", ""})
                       .value;

  ProfileConfig profile;
  const std::string config_path = config_file_path(env);
  std::optional<IniFile> config_file = config_path.empty() ? std::nullopt : read_ini_file(config_path);
  if (config_file) {
    profile.section = config_profile(*config_file, config.profile);
    profile.description = "profile '" + config.profile + "' in " + config_path;
  }

  const auto region = first_set({from_option(options.region, "region"), from_query(parsed.region, "region", uri),
                                 from_env(env, "AWS_REGION"), from_env(env, "AWS_DEFAULT_REGION"),
                                 profile.get("region")});
  config.region = region ? checked_region(*region) : "us-east-1";

  const bool ignore_configured = env.get_bool("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", false);
  const auto configured = [&](std::optional<Sourced> setting) { return ignore_configured ? std::nullopt : setting; };
  const auto endpoint = first_set({from_option(options.endpoint, "endpoint"),
                                   from_query(parsed.endpoint, "endpoint", uri),
                                   configured(from_env(env, "AWS_ENDPOINT_URL_S3")),
                                   configured(from_env(env, "AWS_ENDPOINT_URL")),
                                   configured(profile.get("s3.endpoint_url")),
                                   configured(profile.get("endpoint_url"))});
  config.endpoint = endpoint ? parse_endpoint_url(endpoint->value, endpoint->what).str() : aws_s3_endpoint(config.region);

  Addressing addressing = options.addressing;
  if (addressing == Addressing::Auto) {
    if (auto setting = first_set({from_query(parsed.addressing, "addressing", uri), profile.get("s3.addressing_style")})) {
      addressing = parse_addressing(*setting);
    }
  }
  if (addressing == Addressing::Auto) {
    const EndpointUrl url = parse_endpoint_url(config.endpoint, "endpoint");
    const bool dns_compatible = url.scheme == "http" || config.bucket.find('.') == std::string::npos;
    addressing = is_aws_host(url.host) && dns_compatible ? Addressing::VirtualHosted : Addressing::Path;
  }
  config.addressing = addressing;

  if (auto ca_bundle = first_set({from_option(options.ca_bundle, "ca_bundle"), from_env(env, "AWS_CA_BUNDLE"),
                                  profile.get("ca_bundle")})) {
    config.ca_bundle = checked_ca_bundle(*ca_bundle);
  }
  return config;
}

}  // namespace ronde::aws

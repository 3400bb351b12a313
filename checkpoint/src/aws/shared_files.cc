#include "aws/shared_files.h"

namespace ronde::aws {

namespace {

// `variable`'s value with "~/" expanded, else $HOME/<default_name>, else "".
std::string shared_file_path(const Environment& env, std::string_view variable, std::string_view default_name) {
  const auto home = env.get("HOME");
  if (auto value = env.get(variable); value && !value->empty()) {
    if (value->starts_with("~/") && home) return *home + value->substr(1);
    return *value;
  }
  if (!home || home->empty()) return {};
  return *home + "/.aws/" + std::string(default_name);
}

}  // namespace

std::string config_file_path(const Environment& env) { return shared_file_path(env, "AWS_CONFIG_FILE", "config"); }

std::string credentials_file_path(const Environment& env) {
  return shared_file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

std::string profile_name(const Environment& env, std::string_view requested) {
  if (!requested.empty()) return std::string(requested);
  if (auto value = env.get("AWS_PROFILE"); value && !value->empty()) return *value;
  return "default";
}

const IniSection* config_profile(const IniFile& file, std::string_view profile) {
  if (profile == "default") {
    if (const auto* section = file.section("default")) return section;
  }
  return file.section("profile " + std::string(profile));
}

const IniSection* credentials_profile(const IniFile& file, std::string_view profile) { return file.section(profile); }

}  // namespace ronde::aws

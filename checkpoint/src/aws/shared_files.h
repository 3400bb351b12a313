// Where the AWS shared files are and which of their sections belong to a profile, as the AWS CLI
// reads them:
//   config file       AWS_CONFIG_FILE, else ~/.aws/config;            sections [default], [profile NAME]
//   credentials file  AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials;  sections [NAME]
// A leading "~/" in either variable is $HOME. Without HOME and without the variable there is no
// file (an empty path).
#pragma once

#include <string>
#include <string_view>

#include "aws/ini_file.h"
#include "ronde/core/env.h"

namespace ronde::aws {

std::string config_file_path(const Environment& env);
std::string credentials_file_path(const Environment& env);

// `requested` if not empty, else AWS_PROFILE if set and not empty, else "default".
std::string profile_name(const Environment& env, std::string_view requested);

// The section of `profile` in a config file ([profile NAME]; for "default" also [default], which
// wins when both exist, like the CLI); nullptr if absent.
const IniSection* config_profile(const IniFile& file, std::string_view profile);
// The section of `profile` in a credentials file ([NAME]); nullptr if absent.
const IniSection* credentials_profile(const IniFile& file, std::string_view profile);

}  // namespace ronde::aws

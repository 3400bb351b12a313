// The INI dialect of the AWS config and credentials files (~/.aws/config, ~/.aws/credentials).
//
//   # a comment (also ';'), whole lines only: '#' inside a value is part of the value
//   [default]
//   region = eu-west-1
//   [profile ci]
//   endpoint_url = http://127.0.0.1:9000
//   s3 =
//     addressing_style = path        <- a nested block: stored as key "s3.addressing_style"
//
// Section names and values are trimmed, keys are trimmed and lower-cased. A section that appears
// twice is merged (later keys win). An indented line after a key with a value continues that
// value (joined with '\n'). A key outside any section or a line that is neither a section, a
// key = value pair nor a comment is Error(InvalidArgument) naming the file and line.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ronde::aws {

using IniSection = std::map<std::string, std::string, std::less<>>;

struct IniFile {
  std::string path;  // where it was read from, for messages
  std::map<std::string, IniSection, std::less<>> sections;

  // The section called `name`, or nullptr.
  const IniSection* section(std::string_view name) const;
};

// Parses `text`; `path` names the source in errors.
IniFile parse_ini(std::string_view text, std::string_view path);

// Reads and parses the file at `path`; std::nullopt when it does not exist. An unreadable file
// is Error(InvalidArgument) naming it.
std::optional<IniFile> read_ini_file(const std::string& path);

// The value of `key` in `section`, or std::nullopt (also when section is nullptr).
std::optional<std::string> ini_value(const IniSection* section, std::string_view key);

}  // namespace ronde::aws

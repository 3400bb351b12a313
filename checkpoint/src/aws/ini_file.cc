#include "aws/ini_file.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

std::string_view trim(std::string_view text) {
  const auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  const auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::string lowered(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(), [](unsigned char c) { return std::tolower(c); });
  return result;
}

[[noreturn]] void malformed(std::string_view path, int line_number, std::string_view line, std::string_view why) {
  throw Error(ErrorCode::InvalidArgument, std::string(path) + ":" + std::to_string(line_number) + ": " +
                                              std::string(why) + ": '" + std::string(trim(line)) + "'");
}

}  // namespace

const IniSection* IniFile::section(std::string_view name) const {
  const auto it = sections.find(name);
  return it == sections.end() ? nullptr : &it->second;
}

std::optional<std::string> ini_value(const IniSection* section, std::string_view key) {
  if (section == nullptr) return std::nullopt;
  const auto it = section->find(key);
  if (it == section->end()) return std::nullopt;
  return it->second;
}

IniFile parse_ini(std::string_view text, std::string_view path) {
  IniFile file;
  file.path = std::string(path);
  IniSection* current = nullptr;
  std::string last_key;     // the key an indented line belongs to
  bool nested = false;      // last_key had an empty value: indented lines are sub-keys

  int line_number = 0;
  std::size_t position = 0;
  while (position <= text.size()) {
    const auto end = std::min(text.find('\n', position), text.size());
    const std::string_view line = text.substr(position, end - position);
    position = end + 1;
    ++line_number;

    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#' || content.front() == ';') continue;
    const bool indented = line.front() == ' ' || line.front() == '\t';

    if (content.front() == '[') {
      if (content.back() != ']') malformed(path, line_number, line, "section header without ']'");
      const std::string_view name = trim(content.substr(1, content.size() - 2));
      if (name.empty()) malformed(path, line_number, line, "empty section name");
      current = &file.sections[std::string(name)];
      last_key.clear();
      continue;
    }
    if (current == nullptr) malformed(path, line_number, line, "key before any [section]");

    const auto equals = content.find('=');
    if (indented && !last_key.empty()) {
      if (nested) {
        if (equals == std::string_view::npos) malformed(path, line_number, line, "expected 'key = value' in a nested block");
        const std::string key = lowered(trim(content.substr(0, equals)));
        if (key.empty()) malformed(path, line_number, line, "empty key");
        (*current)[last_key + "." + key] = std::string(trim(content.substr(equals + 1)));
      } else {
        std::string& value = (*current)[last_key];
        value += '\n';
        value += content;
      }
      continue;
    }
    if (equals == std::string_view::npos) malformed(path, line_number, line, "expected 'key = value' or '[section]'");
    const std::string key = lowered(trim(content.substr(0, equals)));
    if (key.empty()) malformed(path, line_number, line, "empty key");
    const std::string value(trim(content.substr(equals + 1)));
    (*current)[key] = value;
    last_key = key;
    nested = value.empty();
  }
  return file;
}

std::optional<IniFile> read_ini_file(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::nullopt;
  std::ifstream stream(path, std::ios::binary);
  if (!stream) {
    throw Error(ErrorCode::InvalidArgument, "cannot read " + path + ": " + std::strerror(errno));
  }
  std::ostringstream text;
  text << stream.rdbuf();
  return parse_ini(text.str(), path);
}

}  // namespace ronde::aws

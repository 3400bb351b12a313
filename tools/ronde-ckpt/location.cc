#include "location.h"

#include <system_error>

#include "exit_codes.h"

namespace ronde::ckpt {

namespace fs = std::filesystem;

namespace {

Location local_location(std::string_view argument, std::string_view path_text) {
  std::error_code error;
  fs::path path = fs::absolute(fs::path(path_text), error);
  if (error) throw UsageError("cannot resolve the path '" + std::string(argument) + "': " + error.message());
  std::string normal = path.lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  Location location;
  location.argument = std::string(argument);
  location.root_uri = "file:///";
  location.key = normal.substr(1);
  location.trailing_slash = path_text.ends_with('/') || path_text.ends_with("/.");
  location.local_path = fs::path(normal);
  return location;
}

Location s3_location(std::string_view argument) {
  std::string_view rest = argument.substr(std::string_view("s3://").size());
  std::string_view query;
  if (const std::size_t mark = rest.find('?'); mark != std::string_view::npos) {
    query = rest.substr(mark);
    rest = rest.substr(0, mark);
  }
  const std::size_t slash = rest.find('/');
  const std::string_view bucket = rest.substr(0, slash);
  if (bucket.empty()) throw UsageError("'" + std::string(argument) + "' names no bucket (s3://bucket/key)");
  std::string_view key = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  Location location;
  location.argument = std::string(argument);
  location.root_uri = "s3://" + std::string(bucket) + std::string(query);
  location.trailing_slash = key.ends_with('/');
  while (key.ends_with('/')) key.remove_suffix(1);
  location.key = std::string(key);
  return location;
}

}  // namespace

bool Location::names_directory() const {
  if (trailing_slash || key.empty()) return true;
  std::error_code ignored;
  return local_path && fs::is_directory(*local_path, ignored);
}

std::string Location::directory_prefix() const { return key.empty() ? std::string() : key + "/"; }

std::string Location::child_key(std::string_view name) const { return directory_prefix() + std::string(name); }

Location parse_location(std::string_view argument) {
  if (argument.empty()) throw UsageError("an empty argument is not a URI or path");
  if (argument.starts_with("s3://")) return s3_location(argument);
  if (argument.starts_with("file://")) {
    std::string_view path = argument.substr(std::string_view("file://").size());
    if (path.starts_with("localhost/")) path.remove_prefix(std::string_view("localhost").size());
    if (!path.starts_with('/')) throw UsageError("'" + std::string(argument) + "': use file:///absolute/path");
    return local_location(argument, path);
  }
  const std::size_t scheme = argument.find("://");
  if (scheme != std::string_view::npos && argument.substr(0, scheme).find('/') == std::string_view::npos) {
    throw UsageError("'" + std::string(argument) + "': unknown scheme (use s3://, file:// or a path)");
  }
  return local_location(argument, argument);
}

}  // namespace ronde::ckpt

// open_storage: which backend a URI names (see the top of ronde/checkpoint/storage.h).
#include <filesystem>
#include <string>

#include "ronde/checkpoint/storage.h"
#include "ronde/core/error.h"
#include "s3/s3_storage.h"
#include "storage/file_storage.h"

namespace ronde::checkpoint {

namespace {

[[noreturn]] void bad_uri(std::string_view uri, std::string_view why) {
  throw Error(ErrorCode::InvalidArgument, "storage URI '" + std::string(uri) + "': " + std::string(why));
}

// "file:///abs/path" or "file://localhost/abs/path" -> "/abs/path" (taken literally: no
// percent-decoding, no query).
std::filesystem::path file_uri_path(std::string_view uri) {
  std::string_view rest = uri.substr(std::string_view("file://").size());
  if (rest.starts_with("localhost/")) rest.remove_prefix(std::string_view("localhost").size());
  if (!rest.starts_with('/')) bad_uri(uri, "a file URI is file:///absolute/path (three slashes)");
  return std::filesystem::path(rest);
}

}  // namespace

std::unique_ptr<Storage> open_storage(std::string_view uri, const StorageOptions& options) {
  if (uri.empty()) bad_uri(uri, "the URI is empty");
  if (uri.find('\0') != std::string_view::npos) bad_uri(uri, "the URI contains NUL");
  if (uri.starts_with("s3://")) return ronde::s3::open_s3_storage(uri, options);
  if (uri.starts_with("file://")) return open_file_storage(file_uri_path(uri), options);
  const std::size_t scheme_end = uri.find("://");
  if (scheme_end != std::string_view::npos && uri.substr(0, scheme_end).find('/') == std::string_view::npos) {
    bad_uri(uri, "unknown scheme '" + std::string(uri.substr(0, scheme_end)) + "' (use file://, s3:// or a path)");
  }
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(std::filesystem::path(uri), error);
  if (error) bad_uri(uri, "cannot make the path absolute: " + error.message());
  return open_file_storage(absolute, options);
}

}  // namespace ronde::checkpoint

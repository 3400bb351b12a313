#include "aws/s3_uri.h"

#include <algorithm>

#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

[[noreturn]] void bad_uri(std::string_view uri, const std::string& why) {
  throw Error(ErrorCode::InvalidArgument, "S3 URI '" + std::string(uri) + "': " + why);
}

bool is_lower_or_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool looks_like_ipv4(std::string_view text) {
  int dots = 0;
  for (char c : text) {
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') return false;
  }
  return dots == 3;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX escapes.
std::string percent_decoded(std::string_view text, std::string_view uri, std::string_view parameter) {
  std::string result;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      result += text[i];
    } else {
      const int high = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? hex_value(text[i + 2]) : -1;
      if (high < 0 || low < 0) bad_uri(uri, "query parameter '" + std::string(parameter) + "' has a bad %-escape");
      result += static_cast<char>(high * 16 + low);
      i += 2;
    }
  }
  return result;
}

void set_once(std::optional<std::string>& slot, std::string value, std::string_view name, std::string_view uri) {
  if (slot) bad_uri(uri, "query parameter '" + std::string(name) + "' is given twice");
  if (value.empty()) bad_uri(uri, "query parameter '" + std::string(name) + "' is empty");
  slot = std::move(value);
}

void parse_query(std::string_view query, std::string_view uri, S3Uri& result) {
  std::size_t position = 0;
  while (position <= query.size()) {
    const auto end = std::min(query.find('&', position), query.size());
    const std::string_view pair = query.substr(position, end - position);
    position = end + 1;
    if (pair.empty()) continue;
    const auto equals = pair.find('=');
    const std::string_view name = pair.substr(0, equals);
    std::string value =
        equals == std::string_view::npos ? std::string() : percent_decoded(pair.substr(equals + 1), uri, name);
    if (name == "endpoint") set_once(result.endpoint, std::move(value), name, uri);
    else if (name == "region") set_once(result.region, std::move(value), name, uri);
    else if (name == "addressing") set_once(result.addressing, std::move(value), name, uri);
    else if (name == "profile") set_once(result.profile, std::move(value), name, uri);
    else bad_uri(uri, "unknown query parameter '" + std::string(name) + "' (known: endpoint, region, addressing, profile)");
  }
}

}  // namespace

std::string bucket_name_problem(std::string_view bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) return "a bucket name has 3 to 63 characters";
  for (char c : bucket) {
    if (!is_lower_or_digit(c) && c != '.' && c != '-') {
      return "a bucket name has only lower-case letters, digits, '.' and '-'";
    }
  }
  if (!is_lower_or_digit(bucket.front()) || !is_lower_or_digit(bucket.back())) {
    return "a bucket name starts and ends with a letter or digit";
  }
  if (bucket.find("..") != std::string_view::npos || bucket.find(".-") != std::string_view::npos ||
      bucket.find("-.") != std::string_view::npos) {
    return "a bucket name has no '..', '.-' or '-.'";
  }
  if (looks_like_ipv4(bucket)) return "a bucket name is not an IP address";
  return {};
}

S3Uri parse_s3_uri(std::string_view uri) {
  constexpr std::string_view scheme = "s3://";
  if (!uri.starts_with(scheme)) bad_uri(uri, "does not start with s3://");
  std::string_view rest = uri.substr(scheme.size());

  S3Uri result;
  if (const auto question = rest.find('?'); question != std::string_view::npos) {
    parse_query(rest.substr(question + 1), uri, result);
    rest = rest.substr(0, question);
  }
  if (rest.find('#') != std::string_view::npos) bad_uri(uri, "has a '#' fragment");

  const auto slash = rest.find('/');
  result.bucket = std::string(rest.substr(0, slash));
  if (result.bucket.empty()) bad_uri(uri, "has no bucket name");
  if (auto problem = bucket_name_problem(result.bucket); !problem.empty()) {
    bad_uri(uri, "bucket '" + result.bucket + "' is not a valid bucket name: " + problem);
  }

  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  while (path.ends_with('/')) path.remove_suffix(1);
  std::size_t position = 0;
  while (!path.empty() && position <= path.size()) {
    const auto end = std::min(path.find('/', position), path.size());
    const std::string_view segment = path.substr(position, end - position);
    if (segment.empty() || segment == "." || segment == "..") {
      bad_uri(uri, "prefix '" + std::string(path) + "' has an empty, '.' or '..' segment");
    }
    position = end + 1;
  }
  result.prefix = std::string(path);
  return result;
}

}  // namespace ronde::aws

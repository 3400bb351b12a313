// The non-virtual parts of Storage: helpers every backend shares, and the key rules.
#include "ronde/checkpoint/storage.h"

#include <algorithm>
#include <string>

#include "ronde/core/error.h"
#include "storage/range.h"

namespace ronde::checkpoint {

namespace {

[[noreturn]] void bad_key(std::string_view key, std::string_view why) {
  std::string shown(key);
  std::replace(shown.begin(), shown.end(), '\0', '?');
  throw Error(ErrorCode::InvalidArgument, "invalid storage key '" + shown + "': " + std::string(why));
}

}  // namespace

Storage::~Storage() = default;

std::string Storage::uri_of(std::string_view key) const {
  std::string result = uri();
  if (result.empty() || result.back() != '/') result += '/';
  result += key;
  return result;
}

std::vector<std::byte> Storage::get_all(std::string_view key, const GetOptions& options) {
  // Sized from head(); a put between head() and get() can change the size, so a buffer that
  // turns out too small is sized again from a fresh head() (a few times, then the error stands).
  for (int attempt = 0;; ++attempt) {
    const ObjectInfo info = head(key);
    std::vector<std::byte> buffer(checked_range(uri_of(key), info.size, options));
    try {
      buffer.resize(get(key, buffer, options));
      return buffer;
    } catch (const Error& error) {
      if (error.code() != ErrorCode::InvalidArgument || attempt == 3) throw;
      if (const auto now = try_head(key); now && now->size == info.size) throw;
    }
  }
}

std::optional<ObjectInfo> Storage::try_head(std::string_view key) {
  try {
    return head(key);
  } catch (const Error& error) {
    if (error.code() == ErrorCode::NotFound) return std::nullopt;
    throw;
  }
}

std::vector<ObjectInfo> Storage::list(std::string_view prefix) {
  std::vector<ObjectInfo> objects;
  std::string token;
  do {
    ListPage page = list_page(prefix, token);
    if (!page.next_token.empty() && page.next_token == token) {
      throw Error(ErrorCode::Internal, "list " + uri_of(prefix) + ": the backend returned the same page token twice");
    }
    objects.insert(objects.end(), std::make_move_iterator(page.objects.begin()),
                   std::make_move_iterator(page.objects.end()));
    token = std::move(page.next_token);
  } while (!token.empty());
  return objects;
}

void validate_key(std::string_view key) {
  if (key.empty()) bad_key(key, "a key must not be empty");
  if (key.find('\0') != std::string_view::npos) bad_key(key, "a key must not contain NUL");
  if (key.front() == '/') bad_key(key, "a key must not start with '/'");
  std::size_t begin = 0;
  while (begin <= key.size()) {
    std::size_t end = key.find('/', begin);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view segment = key.substr(begin, end - begin);
    if (segment.empty()) bad_key(key, "a key must not have empty segments ('//' or a trailing '/')");
    if (segment == "." || segment == "..") bad_key(key, "a key must not have '.' or '..' segments");
    begin = end + 1;
  }
}

}  // namespace ronde::checkpoint

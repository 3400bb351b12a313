// Strict reading of JSON documents whose every field is known (the manifest): each field is read
// by name with its type checked, fields nobody read are errors, and every error is
// Error(Corrupt) "<origin>: <path>: <problem>", e.g.
//   "manifest s3://b/ckpt-000000000100-3f9a1c2e/manifest.json: tensors[2].shape[0]: -3 is not a
//    non-negative integer"
#pragma once

#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "ronde/core/error.h"

namespace ronde::checkpoint {

// Error(Corrupt) "<origin>: <path>: <problem>" (without the path when it is empty).
Error corrupt(std::string_view origin, std::string_view path, std::string_view problem);

// Parses `text`; not JSON, or an object with a key twice, is Error(Corrupt) naming `origin`.
nlohmann::json parse_strict_json(std::string_view text, std::string_view origin);

// A JSON value at `path` (for messages), read with type checks.
class JsonValue {
 public:
  JsonValue(const nlohmann::json& value, std::string path, std::string_view origin)
      : value_(value), path_(std::move(path)), origin_(origin) {}

  const nlohmann::json& json() const { return value_; }
  const std::string& path() const { return path_; }
  std::string_view origin() const { return origin_; }
  [[noreturn]] void fail(std::string_view problem) const;

  std::string as_string() const;
  // An integer (no fraction, no exponent) in [min, max].
  std::uint64_t as_unsigned(std::uint64_t max = std::numeric_limits<std::uint64_t>::max(), std::uint64_t min = 0) const;
  std::int64_t as_int64(std::int64_t min, std::int64_t max) const;
  // The array's elements, each with path "<path>[i]".
  std::size_t array_size() const;
  JsonValue element(std::size_t index) const;
  void expect_object() const;

 private:
  const nlohmann::json& value_;
  std::string path_;
  std::string_view origin_;
};

// A JSON object whose fields are all named by the reader: field() of a missing name fails, and
// finish() fails on any field that was never asked for.
class JsonObject {
 public:
  JsonObject(const JsonValue& value);
  JsonValue field(std::string_view name);
  bool has(std::string_view name) const { return value_.json().contains(name); }
  // Names this object differently in later messages (e.g. once its "name" field is known).
  void rename(std::string path) { path_ = std::move(path); }
  const std::string& path() const { return path_; }
  void finish() const;

 private:
  JsonValue value_;
  std::string path_;
  std::set<std::string, std::less<>> read_;
};

}  // namespace ronde::checkpoint

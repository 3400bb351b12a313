#include "ckpt/strict_json.h"

#include <vector>

namespace ronde::checkpoint {

Error corrupt(std::string_view origin, std::string_view path, std::string_view problem) {
  std::string message(origin);
  message += ": ";
  if (!path.empty()) {
    message += path;
    message += ": ";
  }
  message += problem;
  return Error(ErrorCode::Corrupt, message);
}

nlohmann::json parse_strict_json(std::string_view text, std::string_view origin) {
  // nlohmann keeps the last of duplicated keys silently; the callback sees every key first.
  std::vector<std::set<std::string>> open_objects;
  const auto watch = [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if (event == Event::object_start) open_objects.emplace_back();
    if (event == Event::object_end) open_objects.pop_back();
    if (event == Event::key && !open_objects.back().insert(parsed.get<std::string>()).second) {
      throw corrupt(origin, {}, "the field '" + parsed.get<std::string>() + "' appears twice in one object");
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), watch);
  } catch (const nlohmann::json::exception& e) {
    throw corrupt(origin, {}, std::string("not valid JSON: ") + e.what());
  }
}

namespace {

// The value as JSON text, shortened for messages.
std::string brief(const nlohmann::json& value) {
  constexpr std::size_t kMax = 60;
  std::string text = value.dump();
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

}  // namespace

void JsonValue::fail(std::string_view problem) const { throw corrupt(origin_, path_, problem); }

std::string JsonValue::as_string() const {
  if (!value_.is_string()) fail("expected a string, found " + brief(value_));
  return value_.get<std::string>();
}

std::uint64_t JsonValue::as_unsigned(std::uint64_t max, std::uint64_t min) const {
  if (!value_.is_number_unsigned()) {
    fail(brief(value_) + " is not a non-negative integer");
  }
  const auto number = value_.get<std::uint64_t>();
  if (number < min || number > max) {
    fail(std::to_string(number) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  return number;
}

std::int64_t JsonValue::as_int64(std::int64_t min, std::int64_t max) const {
  if (!value_.is_number_integer()) fail(brief(value_) + " is not an integer");
  if (value_.is_number_unsigned() && value_.get<std::uint64_t>() > static_cast<std::uint64_t>(max)) {
    fail(brief(value_) + " is above " + std::to_string(max));
  }
  const auto number = value_.get<std::int64_t>();
  if (number < min || number > max) {
    fail(std::to_string(number) + " is outside " + std::to_string(min) + ".." + std::to_string(max));
  }
  return number;
}

std::size_t JsonValue::array_size() const {
  if (!value_.is_array()) fail("expected an array, found " + brief(value_));
  return value_.size();
}

JsonValue JsonValue::element(std::size_t index) const {
  return JsonValue(value_.at(index), path_ + "[" + std::to_string(index) + "]", origin_);
}

void JsonValue::expect_object() const {
  if (!value_.is_object()) fail("expected an object, found " + brief(value_));
}

JsonObject::JsonObject(const JsonValue& value) : value_(value), path_(value.path()) { value_.expect_object(); }

JsonValue JsonObject::field(std::string_view name) {
  const std::string path = path_.empty() ? std::string(name) : path_ + "." + std::string(name);
  const auto found = value_.json().find(name);
  if (found == value_.json().end()) throw corrupt(value_.origin(), path, "missing");
  read_.emplace(name);
  return JsonValue(*found, path, value_.origin());
}

void JsonObject::finish() const {
  for (const auto& item : value_.json().items()) {
    if (!read_.contains(item.key())) {
      throw corrupt(value_.origin(), path_, "unknown field '" + item.key() + "'");
    }
  }
}

}  // namespace ronde::checkpoint

#include "ronde/core/env.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "ronde/core/error.h"

namespace ronde {

namespace {

class ProcessEnvironment final : public Environment {
 public:
  std::optional<std::string> get(std::string_view name) const override {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  }
};

std::string trimmed(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

std::string lowered(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

[[noreturn]] void bad_value(std::string_view what, std::string_view text, std::string_view expected) {
  throw Error(ErrorCode::InvalidArgument,
              std::string(what) + "='" + std::string(text) + "' is not " + std::string(expected));
}

}  // namespace

const Environment& Environment::process() {
  static const ProcessEnvironment environment;
  return environment;
}

std::optional<std::string> MapEnvironment::get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

std::int64_t parse_int(std::string_view text, std::string_view what) {
  const std::string value = trimmed(text);
  std::int64_t result = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (value.empty() || error != std::errc() || end != value.data() + value.size()) {
    bad_value(what, text, "an integer");
  }
  return result;
}

double parse_double(std::string_view text, std::string_view what) {
  const std::string value = trimmed(text);
  char* end = nullptr;
  const double result = value.empty() ? 0.0 : std::strtod(value.c_str(), &end);
  if (value.empty() || end != value.c_str() + value.size() || !std::isfinite(result)) {
    bad_value(what, text, "a finite number");
  }
  return result;
}

bool parse_bool(std::string_view text, std::string_view what) {
  const std::string value = lowered(trimmed(text));
  if (value == "1" || value == "true" || value == "yes" || value == "on") return true;
  if (value == "0" || value == "false" || value == "no" || value == "off") return false;
  bad_value(what, text, "a boolean (1/0, true/false, yes/no, on/off)");
}

std::size_t parse_bytes(std::string_view text, std::string_view what) {
  const std::string value = trimmed(text);
  std::size_t digits = 0;
  while (digits < value.size() && std::isdigit(static_cast<unsigned char>(value[digits]))) ++digits;
  if (digits == 0) bad_value(what, text, "a byte count (e.g. 65536, 64K, 4MiB, 1G)");
  std::uint64_t number = 0;
  auto [end, error] = std::from_chars(value.data(), value.data() + digits, number);
  if (error != std::errc()) bad_value(what, text, "a byte count in range");
  const std::string suffix = lowered(value.substr(digits));
  std::uint64_t multiplier = 1;
  if (suffix.empty() || suffix == "b") multiplier = 1;
  else if (suffix == "k" || suffix == "kb" || suffix == "kib") multiplier = 1ull << 10;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib") multiplier = 1ull << 20;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib") multiplier = 1ull << 30;
  else bad_value(what, text, "a byte count (suffixes: K, M, G)");
  if (number > std::numeric_limits<std::uint64_t>::max() / multiplier) bad_value(what, text, "a byte count in range");
  return static_cast<std::size_t>(number * multiplier);
}

std::string Environment::get_string(std::string_view name, std::string_view fallback) const {
  auto value = get(name);
  return value ? *value : std::string(fallback);
}

std::optional<std::int64_t> Environment::get_int(std::string_view name) const {
  auto value = get(name);
  if (!value) return std::nullopt;
  return parse_int(*value, name);
}

std::int64_t Environment::get_int(std::string_view name, std::int64_t fallback) const {
  return get_int(name).value_or(fallback);
}

bool Environment::get_bool(std::string_view name, bool fallback) const {
  auto value = get(name);
  return value ? parse_bool(*value, name) : fallback;
}

double Environment::get_double(std::string_view name, double fallback) const {
  auto value = get(name);
  return value ? parse_double(*value, name) : fallback;
}

std::size_t Environment::get_bytes(std::string_view name, std::size_t fallback) const {
  auto value = get(name);
  return value ? parse_bytes(*value, name) : fallback;
}

}  // namespace ronde

// Typed reading of environment variables (ronde's knobs, launcher variables, SageMaker's SM_*).
//
// Reading goes through an Environment so that tests and embedding programs can supply their own
// variables instead of the process environment. Every parse error is an Error(InvalidArgument)
// that names the variable and quotes its value. The table of all RONDE_* knobs is docs/KNOBS.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ronde {

class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value, or nullopt when it is unset. An empty value counts as set.
  virtual std::optional<std::string> get(std::string_view name) const = 0;

  // The environment of this process (getenv).
  static const Environment& process();

  std::optional<std::string> get_string(std::string_view name) const { return get(name); }
  std::string get_string(std::string_view name, std::string_view fallback) const;
  // Whole decimal integers only ("12", "-3"); anything else is an error naming the variable.
  std::optional<std::int64_t> get_int(std::string_view name) const;
  std::int64_t get_int(std::string_view name, std::int64_t fallback) const;
  // 1/0, true/false, yes/no, on/off (any case).
  bool get_bool(std::string_view name, bool fallback) const;
  double get_double(std::string_view name, double fallback) const;
  // A byte count with an optional binary suffix: "65536", "64K", "64KiB", "2M", "1G".
  std::size_t get_bytes(std::string_view name, std::size_t fallback) const;
};

// An Environment backed by a map, for tests and for programs that configure ronde explicitly.
class MapEnvironment : public Environment {
 public:
  MapEnvironment() = default;
  explicit MapEnvironment(std::map<std::string, std::string, std::less<>> values)
      : values_(std::move(values)) {}
  void set(std::string name, std::string value) { values_[std::move(name)] = std::move(value); }
  std::optional<std::string> get(std::string_view name) const override;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

// Parsers shared by Environment and configuration files. `what` names the source in errors
// (e.g. the variable RONDE_LOG_LEVEL or "hyperparameters.json key 'epochs'").
std::int64_t parse_int(std::string_view text, std::string_view what);
double parse_double(std::string_view text, std::string_view what);
bool parse_bool(std::string_view text, std::string_view what);
std::size_t parse_bytes(std::string_view text, std::string_view what);

}  // namespace ronde

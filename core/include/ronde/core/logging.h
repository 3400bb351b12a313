// Leveled logging with a rank prefix: "[ronde 2/4 WARN] message".
//
// A Logger is a small value owned by its Context (no global logger). Lines are written whole, so
// the output of concurrent threads does not interleave within a line.
#pragma once

#include <iosfwd>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace ronde {

enum class LogLevel { Trace, Debug, Info, Warn, Error, Off };

std::string_view to_string(LogLevel level);
// "trace", "debug", "info", "warn"/"warning", "error", "off" (any case); throws InvalidArgument.
LogLevel parse_log_level(std::string_view text);

class Logger {
 public:
  // `sink` defaults to std::cerr; it must outlive the logger.
  explicit Logger(LogLevel level = LogLevel::Warn, std::string prefix = "ronde",
                  std::ostream* sink = nullptr);

  LogLevel level() const { return level_; }
  bool enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::Off; }
  void write(LogLevel level, std::string_view message) const;

  template <class... Args>
  void log(LogLevel level, const Args&... args) const {
    if (!enabled(level)) return;
    std::ostringstream line;
    (line << ... << args);
    write(level, line.str());
  }
  template <class... Args> void debug(const Args&... args) const { log(LogLevel::Debug, args...); }
  template <class... Args> void info(const Args&... args) const { log(LogLevel::Info, args...); }
  template <class... Args> void warn(const Args&... args) const { log(LogLevel::Warn, args...); }
  template <class... Args> void error(const Args&... args) const { log(LogLevel::Error, args...); }

 private:
  struct Sink;
  LogLevel level_;
  std::string prefix_;
  std::shared_ptr<Sink> sink_;
};

}  // namespace ronde

#include "ronde/core/logging.h"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <mutex>

#include "ronde/core/error.h"

namespace ronde {

// The stream and the mutex that keeps lines whole; shared by copies of a Logger.
struct Logger::Sink {
  std::ostream* stream;
  std::mutex mutex;
};

std::string_view to_string(LogLevel level) {
  switch (level) {
    case LogLevel::Trace: return "TRACE";
    case LogLevel::Debug: return "DEBUG";
    case LogLevel::Info: return "INFO";
    case LogLevel::Warn: return "WARN";
    case LogLevel::Error: return "ERROR";
    case LogLevel::Off: return "OFF";
  }
  return "?";
}

LogLevel parse_log_level(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "trace") return LogLevel::Trace;
  if (lower == "debug") return LogLevel::Debug;
  if (lower == "info") return LogLevel::Info;
  if (lower == "warn" || lower == "warning") return LogLevel::Warn;
  if (lower == "error") return LogLevel::Error;
  if (lower == "off" || lower == "none") return LogLevel::Off;
  throw Error(ErrorCode::InvalidArgument,
              "unknown log level '" + std::string(text) + "' (expected trace, debug, info, warn, error or off)");
}

Logger::Logger(LogLevel level, std::string prefix, std::ostream* sink)
    : level_(level), prefix_(std::move(prefix)), sink_(std::make_shared<Sink>()) {
  sink_->stream = sink ? sink : &std::cerr;
}

void Logger::write(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  std::string line;
  line.reserve(prefix_.size() + message.size() + 12);
  line.append("[").append(prefix_).append(" ").append(to_string(level)).append("] ");
  line.append(message).append("\n");
  std::lock_guard<std::mutex> lock(sink_->mutex);
  *sink_->stream << line << std::flush;
}

}  // namespace ronde

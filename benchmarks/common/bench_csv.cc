#include "bench_csv.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ronde::bench {

namespace {

// The first line of `path`, or "" when it is absent or empty.
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (in && std::getline(in, line) && !line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

bool CsvAppender::can_append(const std::string& path, const std::string& program) {
  const std::string header = first_line(path);
  if (header.empty() || header == kCsvHeader) return true;
  std::fprintf(stderr, "%s: %s exists with header '%s', expected '%s'; not appending\n", program.c_str(),
               path.c_str(), header.c_str(), kCsvHeader);
  return false;
}

std::optional<CsvAppender> CsvAppender::open(const std::string& path, const std::string& program) {
  if (!can_append(path, program)) return std::nullopt;
  const bool needs_header = first_line(path).empty();
  const std::filesystem::path location(path);
  std::error_code ignored;
  if (location.has_parent_path()) std::filesystem::create_directories(location.parent_path(), ignored);
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    std::fprintf(stderr, "%s: cannot open %s: %s\n", program.c_str(), path.c_str(), std::strerror(errno));
    return std::nullopt;
  }
  if (needs_header) std::fprintf(file, "%s\n", kCsvHeader);
  return CsvAppender(file, path, program);
}

CsvAppender::CsvAppender(CsvAppender&& other) noexcept
    : file_(other.file_), path_(std::move(other.path_)), program_(std::move(other.program_)), rows_(other.rows_) {
  other.file_ = nullptr;
}

CsvAppender::~CsvAppender() {
  if (file_ != nullptr) std::fclose(file_);
}

void CsvAppender::row(const std::string& bench, const std::string& case_name, const std::string& impl, int ranks,
                      std::size_t bytes, const std::string& metric, double value) {
  std::fprintf(file_, "%s,%s,%s,%d,%zu,%s,%.9g\n", bench.c_str(), case_name.c_str(), impl.c_str(), ranks, bytes,
               metric.c_str(), value);
  ++rows_;
}

bool CsvAppender::close() {
  const bool ok = std::fclose(file_) == 0;
  file_ = nullptr;
  if (!ok) std::fprintf(stderr, "%s: writing %s failed: %s\n", program_.c_str(), path_.c_str(), std::strerror(errno));
  return ok;
}

}  // namespace ronde::bench

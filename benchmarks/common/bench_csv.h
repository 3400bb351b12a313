// The CSV every ronde benchmark writes: header `bench,case,impl,ranks,bytes,metric,value`, one
// measurement per row. Rows are appended, so several runs (2 ranks, then 4) fill one file; an
// existing file with another header is refused rather than mixed.
#pragma once

#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>

namespace ronde::bench {

inline constexpr const char* kCsvHeader = "bench,case,impl,ranks,bytes,metric,value";

class CsvAppender {
 public:
  // Opens `path` for appending (creating its directory and writing the header when new). Returns
  // nullopt after printing why on stderr, prefixed with `program`.
  static std::optional<CsvAppender> open(const std::string& path, const std::string& program);
  // Checks only (no file is created): true when `path` is absent, empty or has our header.
  static bool can_append(const std::string& path, const std::string& program);

  CsvAppender(CsvAppender&& other) noexcept;
  ~CsvAppender();

  void row(const std::string& bench, const std::string& case_name, const std::string& impl, int ranks,
           std::size_t bytes, const std::string& metric, double value);
  // Flushes and closes; false (with a message) when the writes failed.
  bool close();
  std::size_t rows() const { return rows_; }

 private:
  CsvAppender(std::FILE* file, std::string path, std::string program)
      : file_(file), path_(std::move(path)), program_(std::move(program)) {}
  std::FILE* file_;
  std::string path_;
  std::string program_;
  std::size_t rows_ = 0;
};

}  // namespace ronde::bench

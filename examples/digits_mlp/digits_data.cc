#include "digits_data.h"

#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <random>
#include <string_view>

#include "ronde/core/error.h"

namespace digits {

namespace {

// The whole file, decompressed (zlib's gzread passes plain files through unchanged).
std::string read_gzip_file(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw ronde::Error(ronde::ErrorCode::NotFound, "cannot open the digits data set '" + path +
                                                       "' (on Debian/Ubuntu it comes with the package python3-sklearn: "
                                                       "apt-get install python3-sklearn; or pass --data PATH)");
  }
  std::string text;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof(buffer))) > 0) text.append(buffer, static_cast<std::size_t>(n));
  int code = Z_OK;
  const std::string error = n < 0 ? gzerror(file, &code) : "";
  gzclose(file);
  if (n < 0) throw ronde::Error(ronde::ErrorCode::InvalidArgument, "cannot read '" + path + "': " + error);
  return text;
}

// Parses one integer field in [low, high]; false when it is not one.
bool parse_field(std::string_view field, int low, int high, int& value) {
  double number = 0;  // the file writes integers, possibly as "3.0"
  const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), number);
  if (error != std::errc() || end != field.data() + field.size()) return false;
  if (number != static_cast<int>(number) || number < low || number > high) return false;
  value = static_cast<int>(number);
  return true;
}

// Appends the line's image and label to `data`; false when the line is malformed.
bool parse_line(std::string_view line, Dataset& data) {
  std::size_t start = 0;
  for (int column = 0; column <= kPixels; ++column) {
    std::size_t comma = line.find(',', start);
    const bool last = column == kPixels;
    if (last != (comma == std::string_view::npos)) return false;  // too few or too many fields
    if (last) comma = line.size();
    int value = 0;
    if (!parse_field(line.substr(start, comma - start), 0, last ? kClasses - 1 : 16, value)) return false;
    if (last)
      data.labels.push_back(value);
    else
      data.images.push_back(static_cast<float>(value) / 16.0f);
    start = comma + 1;
  }
  return true;
}

void append_row(const Dataset& from, std::size_t row, Dataset& to) {
  to.images.insert(to.images.end(), from.image(row), from.image(row) + kPixels);
  to.labels.push_back(from.labels[row]);
}

// SplitMix64's finaliser: spreads (seed, epoch) over the whole 64-bit seed space.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Uniform in [0, n) without modulo bias. std::uniform_int_distribution would do, but its
// algorithm is left to the library; this one gives the same order with any compiler.
std::uint64_t uniform_below(std::mt19937_64& generator, std::uint64_t n) {
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // largest multiple of n, exclusive
  std::uint64_t x = 0;
  do x = generator();
  while (x >= limit);
  return x % n;
}

}  // namespace

Dataset load_digits(const std::string& path) {
  const std::string text = read_gzip_file(path);
  Dataset data;
  std::size_t start = 0;
  int line_number = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    ++line_number;
    if (!line.empty() && !parse_line(line, data)) {
      throw ronde::Error(ronde::ErrorCode::InvalidArgument, path + ":" + std::to_string(line_number) +
                                                                ": expected 64 pixel values 0..16 and a label 0..9, "
                                                                "comma-separated; got '" +
                                                                std::string(line.substr(0, 80)) + "'");
    }
    start = end + 1;
  }
  if (data.rows() == 0) throw ronde::Error(ronde::ErrorCode::InvalidArgument, path + " holds no rows");
  return data;
}

TrainTestSplit split_every_fifth(const Dataset& all) {
  TrainTestSplit split;
  for (std::size_t row = 0; row < all.rows(); ++row) append_row(all, row, row % 5 == 4 ? split.test : split.train);
  return split;
}

SampleOrder::SampleOrder(std::size_t rows, std::uint64_t seed) : rows_(rows), seed_(seed), permutation_(rows) {}

void SampleOrder::shuffle_epoch(std::uint64_t epoch) {
  std::mt19937_64 generator(mix(seed_ ^ mix(epoch)));
  for (std::size_t i = 0; i < rows_; ++i) permutation_[i] = i;
  for (std::size_t i = rows_; i > 1; --i) std::swap(permutation_[i - 1], permutation_[uniform_below(generator, i)]);
  epoch_ = epoch;
}

std::size_t SampleOrder::row_at(std::uint64_t position) {
  const std::uint64_t epoch = position / rows_;
  if (epoch != epoch_) shuffle_epoch(epoch);
  return permutation_[position % rows_];
}

std::vector<std::size_t> SampleOrder::rows_for_step(std::int64_t step, int global_batch, int rank, int size) {
  const std::uint64_t first = static_cast<std::uint64_t>(step) * static_cast<std::uint64_t>(global_batch);
  const std::uint64_t begin = first + static_cast<std::uint64_t>(global_batch) * rank / size;
  const std::uint64_t end = first + static_cast<std::uint64_t>(global_batch) * (rank + 1) / size;
  std::vector<std::size_t> rows;
  rows.reserve(end - begin);
  for (std::uint64_t position = begin; position < end; ++position) rows.push_back(row_at(position));
  return rows;
}

}  // namespace digits

// The handwritten digits data set and the order in which training visits it.
//
// The file is scikit-learn's copy of the UCI "Optical Recognition of Handwritten Digits" test set
// (Debian package python3-sklearn installs it): 1797 lines "p0,p1,...,p63,label", gzip-compressed,
// each an 8x8 image with pixel values 0..16 and its digit 0..9.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace digits {

inline constexpr int kPixels = 64;
inline constexpr int kClasses = 10;

// Where python3-sklearn puts the file on Debian and Ubuntu.
inline constexpr const char* kDefaultDataPath = "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz";

struct Dataset {
  std::vector<float> images;         // rows() x kPixels, pixel value / 16, so in [0, 1]
  std::vector<std::int32_t> labels;  // rows(), each 0..9

  std::size_t rows() const { return labels.size(); }
  const float* image(std::size_t row) const { return images.data() + row * kPixels; }
};

// Reads the CSV, gzip-compressed or plain. A missing or unreadable file is ronde::Error(NotFound)
// naming the path (and the package that ships it); a malformed line is Error(InvalidArgument)
// naming the path and line number.
Dataset load_digits(const std::string& path);

struct TrainTestSplit {
  Dataset train;
  Dataset test;
};

// Deterministic split: every 5th row (rows 4, 9, 14, ...) is held out for testing, the others are
// for training (1438 and 359 rows of the full file).
TrainTestSplit split_every_fifth(const Dataset& all);

// The order in which training visits its rows. Epoch e is a permutation of 0..rows-1 drawn from
// (seed, e) alone, and the sample at global position p (counting from the first step) is row
// permutation(p / rows)[p % rows]. Step s of a global batch B covers positions s*B .. s*B+B-1, so
// the rows of every step are a pure function of (seed, B, step): a job resumed at step s visits
// exactly the rows an uninterrupted job would.
class SampleOrder {
 public:
  SampleOrder(std::size_t rows, std::uint64_t seed);

  // The training row at global position `position`.
  std::size_t row_at(std::uint64_t position);

  // The rows this rank computes at `step`: its contiguous share [rank*B/size, (rank+1)*B/size) of
  // the step's global batch of B = global_batch positions.
  std::vector<std::size_t> rows_for_step(std::int64_t step, int global_batch, int rank, int size);

 private:
  void shuffle_epoch(std::uint64_t epoch);

  std::size_t rows_;
  std::uint64_t seed_;
  std::uint64_t epoch_ = UINT64_MAX;  // the epoch permutation_ holds (none yet)
  std::vector<std::size_t> permutation_;
};

}  // namespace digits

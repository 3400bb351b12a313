// What the checkpointer tests share: a temporary file:// root, a storage decorator that fails
// chosen puts, a small training state with replicated and per-rank tensors, and a log capture.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "ronde/checkpoint/checkpointer.h"
#include "ronde/checkpoint/storage.h"

namespace ronde::checkpoint::testing {

// A fresh directory under the system temporary directory, removed at the end of the test.
class TempRoot {
 public:
  TempRoot();
  ~TempRoot();
  const std::filesystem::path& path() const { return path_; }
  std::string uri() const { return "file://" + path_.string(); }

 private:
  std::filesystem::path path_;
};

// Forwards to a real storage; put() of a key for which `fail` returns true throws Error(Storage)
// naming the key instead.
class FailingStorage final : public Storage {
 public:
  FailingStorage(std::shared_ptr<Storage> inner, std::function<bool(std::string_view key)> fail)
      : inner_(std::move(inner)), fail_(std::move(fail)) {}
  std::string uri() const override { return inner_->uri(); }
  void put(std::string_view key, std::span<const std::byte> data, const PutOptions& options) override;
  void put_stream(std::string_view key, const ReadChunk& source, const PutOptions& options) override {
    inner_->put_stream(key, source, options);
  }
  std::size_t get(std::string_view key, std::span<std::byte> buffer, const GetOptions& options) override {
    return inner_->get(key, buffer, options);
  }
  void get_stream(std::string_view key, const WriteChunk& sink, const GetOptions& options) override {
    inner_->get_stream(key, sink, options);
  }
  ObjectInfo head(std::string_view key) override { return inner_->head(key); }
  ListPage list_page(std::string_view prefix, std::string_view token, int max_keys) override {
    return inner_->list_page(prefix, token, max_keys);
  }
  void remove(std::string_view key) override { inner_->remove(key); }
  void remove_all(std::span<const std::string> keys) override { inner_->remove_all(keys); }
  std::vector<PendingUpload> list_pending_uploads(std::string_view prefix) override {
    return inner_->list_pending_uploads(prefix);
  }
  void abort_pending_upload(const PendingUpload& upload) override { inner_->abort_pending_upload(upload); }

 private:
  std::shared_ptr<Storage> inner_;
  std::function<bool(std::string_view)> fail_;
};

// A thread-safe log capture usable as a Logger sink.
class LogCapture {
 public:
  Logger logger(LogLevel level = LogLevel::Warn) { return Logger(level, "ronde", &stream_); }
  std::string text() const { return stream_.str(); }

 private:
  std::ostringstream stream_;
};

// A training state: replicated "w" (f32, `elements` values) and "b" (f64[3]), per-rank "pos"
// (i64[2]), values derived from `seed` (and the rank for per-rank tensors).
struct ToyState {
  ToyState(int rank, int seed, std::size_t elements = 1000);
  void fill(int rank, int seed);
  void register_in(CheckpointState& state, bool with_per_rank = true);
  std::vector<float> w;
  std::vector<double> b;
  std::vector<std::int64_t> pos;
};

// Checkpoint names ("ckpt-...") present under the root, with or without a manifest.
std::vector<std::string> checkpoint_names(Storage& storage, bool committed_only);

// Options for tests: no signal watcher unless asked, a small split size so that tensors spread.
CheckpointerOptions test_options(std::optional<Logger> logger = std::nullopt);

}  // namespace ronde::checkpoint::testing

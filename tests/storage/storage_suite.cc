// The Storage behaviour suite (see storage_suite.h). Every test states one part of the contract
// in ronde/checkpoint/storage.h and checks it through the public interface only.
#include "storage_suite.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "ronde/core/error.h"
#include "support/test_helpers.h"

namespace ronde::testing {

using checkpoint::GetOptions;
using checkpoint::ObjectInfo;
using checkpoint::PutOptions;
using checkpoint::Storage;
using checkpoint::StorageOptions;
using ::testing::HasSubstr;

namespace {

constexpr std::size_t kMiB = 1024 * 1024;

// Bytes that differ for every (seed, index), so misplaced or repeated parts are caught.
std::vector<std::byte> pattern(std::size_t size, std::uint32_t seed) {
  std::vector<std::byte> bytes(size);
  std::mt19937 random(seed);
  std::size_t i = 0;
  for (; i + 4 <= size; i += 4) {
    const std::uint32_t word = random();
    std::memcpy(bytes.data() + i, &word, 4);
  }
  for (; i < size; ++i) bytes[i] = static_cast<std::byte>(random());
  return bytes;
}

// A thread whose exceptions become test failures (an exception escaping a std::thread would abort
// the whole suite).
template <class Body>
std::thread checked_thread(Body body) {
  return std::thread([body = std::move(body)]() mutable {
    try {
      body();
    } catch (const std::exception& error) {
      ADD_FAILURE() << "a writer thread failed: " << error.what();
    }
  });
}

std::vector<std::byte> bytes_of(std::string_view text) {
  std::vector<std::byte> bytes(text.size());
  if (!text.empty()) std::memcpy(bytes.data(), text.data(), text.size());
  return bytes;
}

std::vector<std::string> keys_of(const std::vector<ObjectInfo>& objects) {
  std::vector<std::string> keys;
  for (const ObjectInfo& object : objects) keys.push_back(object.key);
  return keys;
}

using ronde::testing::error_message;

// Records progress calls and checks they never run concurrently and never go backwards.
class ProgressLog {
 public:
  checkpoint::Progress callback() {
    return [this](std::uint64_t done, std::uint64_t total) {
      std::unique_lock lock(mutex_, std::try_to_lock);
      EXPECT_TRUE(lock.owns_lock()) << "progress called concurrently for one transfer";
      EXPECT_GE(done, last_done_) << "progress went backwards";
      if (total != 0) EXPECT_LE(done, total);
      last_done_ = done;
      last_total_ = total;
      ++calls_;
    };
  }
  void expect_finished_at(std::uint64_t total) const {
    EXPECT_GE(calls_, 1) << "no progress reported";
    EXPECT_EQ(last_done_, total);
    EXPECT_EQ(last_total_, total);
  }

 private:
  std::mutex mutex_;
  std::uint64_t last_done_ = 0;
  std::uint64_t last_total_ = 0;
  int calls_ = 0;
};

// A streamed source yielding `data` in chunks of irregular sizes (never filling the buffer).
checkpoint::ReadChunk chunked_source(const std::vector<std::byte>& data) {
  auto position = std::make_shared<std::size_t>(0);
  auto turn = std::make_shared<std::size_t>(0);
  return [&data, position, turn](std::span<std::byte> buffer) -> std::size_t {
    static constexpr std::size_t kSizes[] = {7, 1, 65536 + 3, 1 * kMiB, 3 * kMiB + 11, 100};
    const std::size_t want = std::min({kSizes[(*turn)++ % std::size(kSizes)], buffer.size(), data.size() - *position});
    if (want > 0) std::memcpy(buffer.data(), data.data() + *position, want);
    *position += want;
    return want;
  };
}

std::vector<std::byte> streamed_get(Storage& storage, std::string_view key, const GetOptions& options = {}) {
  std::vector<std::byte> result;
  storage.get_stream(key, [&](std::span<const std::byte> bytes) { result.insert(result.end(), bytes.begin(), bytes.end()); },
                     options);
  return result;
}

}  // namespace

StorageOptions storage_suite_options() {
  StorageOptions options;
  options.part_size = 5 * kMiB;
  options.multipart_threshold = 1 * kMiB;
  options.concurrency = 4;
  return options;
}

int storage_suite_anchor() { return 0; }

void PrintTo(const StorageBackendFactory& factory, std::ostream* out) { *out << factory.name; }

void StorageSuite::SetUp() {
  storage_ = GetParam().make_fresh(storage_suite_options());
  ASSERT_NE(storage_, nullptr);
}

void StorageSuite::TearDown() {
  if (!storage_) return;
  try {  // best effort: leave the root empty
    std::vector<std::string> keys = keys_of(storage_->list());
    storage_->remove_all(keys);
    for (const auto& upload : storage_->list_pending_uploads()) storage_->abort_pending_upload(upload);
  } catch (const std::exception& error) {
    ADD_FAILURE() << "cleaning up " << storage_->uri() << ": " << error.what();
  }
}

// ---- round trips ------------------------------------------------------------------------------

TEST_P(StorageSuite, PutAndGetEmptyObject) {
  storage_->put("empty", {});
  EXPECT_EQ(storage_->head("empty").size, 0u);
  EXPECT_TRUE(storage_->get_all("empty").empty());
  EXPECT_TRUE(streamed_get(*storage_, "empty").empty());
  EXPECT_EQ(keys_of(storage_->list()), std::vector<std::string>{"empty"});
}

TEST_P(StorageSuite, PutAndGetOneByte) {
  storage_->put("one", bytes_of("x"));
  EXPECT_EQ(storage_->get_all("one"), bytes_of("x"));
  std::byte buffer[4] = {};
  EXPECT_EQ(storage_->get("one", buffer), 1u);
  EXPECT_EQ(buffer[0], std::byte{'x'});
}

TEST_P(StorageSuite, HeadReportsSizeEtagAndTime) {
  const auto data = pattern(1000, 1);
  storage_->put("dir/object.bin", data, {.content_type = "application/x-test"});
  const ObjectInfo info = storage_->head("dir/object.bin");
  EXPECT_EQ(info.key, "dir/object.bin");
  EXPECT_EQ(info.size, 1000u);
  EXPECT_FALSE(info.etag.empty());
  const auto age = std::chrono::system_clock::now() - info.last_modified;
  EXPECT_LT(std::chrono::abs(age), std::chrono::hours(1)) << "last_modified is not about now";
  const auto listed = storage_->list("dir/");
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0].size, 1000u);
  EXPECT_EQ(listed[0].etag, info.etag);
  EXPECT_EQ(storage_->uri_of("dir/object.bin"), storage_->uri() + "/dir/object.bin");
}

TEST_P(StorageSuite, PutAndGetAboveThresholdInOnePart) {
  const auto data = pattern(3 * kMiB + 5, 2);  // above multipart_threshold, below part_size
  storage_->put("medium", data);
  EXPECT_EQ(storage_->head("medium").size, data.size());
  EXPECT_EQ(storage_->get_all("medium"), data);
}

TEST_P(StorageSuite, PutAndGetManyPartsWithShortLastPart) {
  const auto data = pattern(3 * 5 * kMiB + 1234, 3);  // four parts, the last 1234 bytes
  ProgressLog put_progress;
  storage_->put("large", data, {.progress = put_progress.callback()});
  put_progress.expect_finished_at(data.size());

  EXPECT_EQ(storage_->head("large").size, data.size());
  std::vector<std::byte> buffer(data.size() + 10);
  ProgressLog get_progress;
  EXPECT_EQ(storage_->get("large", buffer, {.progress = get_progress.callback()}), data.size());
  get_progress.expect_finished_at(data.size());
  buffer.resize(data.size());
  EXPECT_EQ(buffer, data);

  ProgressLog stream_progress;
  EXPECT_EQ(streamed_get(*storage_, "large", {.progress = stream_progress.callback()}), data);
  stream_progress.expect_finished_at(data.size());
}

TEST_P(StorageSuite, OverwriteReplacesContentAndEtag) {
  storage_->put("key", pattern(6 * kMiB, 4));
  const std::string first = storage_->head("key").etag;
  const auto second = pattern(10, 5);
  storage_->put("key", second);
  EXPECT_EQ(storage_->get_all("key"), second);
  EXPECT_EQ(storage_->head("key").size, 10u);
  EXPECT_NE(storage_->head("key").etag, first);
  const auto third = pattern(10, 6);  // same size, other bytes
  storage_->put("key", third);
  EXPECT_EQ(storage_->get_all("key"), third);
  EXPECT_EQ(storage_->list().size(), 1u);
}

// ---- ranges -----------------------------------------------------------------------------------

TEST_P(StorageSuite, RangesAtStartMiddleAndEnd) {
  const auto data = pattern(1000, 7);
  storage_->put("ranged", data);
  const auto slice = [&](std::size_t offset, std::size_t length) {
    return std::vector<std::byte>(data.begin() + offset, data.begin() + offset + length);
  };
  EXPECT_EQ(storage_->get_all("ranged", {.offset = 0, .length = 10}), slice(0, 10));
  EXPECT_EQ(storage_->get_all("ranged", {.offset = 500, .length = 123}), slice(500, 123));
  EXPECT_EQ(storage_->get_all("ranged", {.offset = 990, .length = 10}), slice(990, 10));
  EXPECT_EQ(storage_->get_all("ranged", {.offset = 990}), slice(990, 10));
  EXPECT_EQ(streamed_get(*storage_, "ranged", {.offset = 250, .length = 500}), slice(250, 500));
  std::vector<std::byte> buffer(100);
  EXPECT_EQ(storage_->get("ranged", buffer, {.offset = 900}), 100u);
  EXPECT_EQ(buffer, slice(900, 100));
}

TEST_P(StorageSuite, EmptyRangesReadNothing) {
  storage_->put("ranged", pattern(100, 8));
  EXPECT_TRUE(storage_->get_all("ranged", {.offset = 100}).empty());
  EXPECT_TRUE(storage_->get_all("ranged", {.offset = 40, .length = 0}).empty());
  EXPECT_TRUE(streamed_get(*storage_, "ranged", {.offset = 100}).empty());
}

TEST_P(StorageSuite, RangeAcrossPartsOfLargeObject) {
  const auto data = pattern(12 * kMiB + 3, 9);
  storage_->put("large", data);
  const std::size_t offset = 5 * kMiB - 10;
  const std::size_t length = 5 * kMiB + 20;
  const std::vector<std::byte> expected(data.begin() + offset, data.begin() + offset + length);
  EXPECT_EQ(storage_->get_all("large", {.offset = offset, .length = length}), expected);
  EXPECT_EQ(streamed_get(*storage_, "large", {.offset = offset, .length = length}), expected);
}

TEST_P(StorageSuite, RangeBeyondTheEndIsInvalidArgument) {
  storage_->put("ranged", pattern(1000, 10));
  std::vector<std::byte> buffer(2000);
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [&] { storage_->get("ranged", buffer, {.offset = 1001}); }),
              HasSubstr("ranged"));
  error_message(ErrorCode::InvalidArgument, [&] { storage_->get("ranged", buffer, {.offset = 990, .length = 11}); });
  error_message(ErrorCode::InvalidArgument, [&] { storage_->get("ranged", buffer, {.offset = 0, .length = 1001}); });
  error_message(ErrorCode::InvalidArgument, [&] { storage_->get_all("ranged", {.offset = 5000}); });
  error_message(ErrorCode::InvalidArgument, [&] { streamed_get(*storage_, "ranged", {.offset = 2000}); });
  std::vector<std::byte> small(10);
  error_message(ErrorCode::InvalidArgument, [&] { storage_->get("ranged", small); });  // buffer too small
}

// ---- streams ----------------------------------------------------------------------------------

TEST_P(StorageSuite, StreamedPutOfUnknownSize) {
  for (const std::size_t size : {std::size_t{0}, std::size_t{100}, 12 * kMiB + 17}) {
    SCOPED_TRACE("size " + std::to_string(size));
    const auto data = pattern(size, 11 + static_cast<std::uint32_t>(size));
    ProgressLog progress;
    storage_->put_stream("streamed", chunked_source(data), {.progress = progress.callback()});
    if (size > 0) progress.expect_finished_at(size);
    EXPECT_EQ(storage_->head("streamed").size, size);
    EXPECT_EQ(storage_->get_all("streamed"), data);
    EXPECT_EQ(streamed_get(*storage_, "streamed"), data);
  }
}

TEST_P(StorageSuite, FailedStreamedPutLeavesNothing) {
  for (const std::size_t fail_after : {std::size_t{10}, 7 * kMiB}) {
    SCOPED_TRACE("failing after " + std::to_string(fail_after) + " bytes");
    const auto data = pattern(fail_after, 12);
    auto source = chunked_source(data);
    std::size_t given = 0;
    EXPECT_THROW(storage_->put_stream("broken",
                                      [&](std::span<std::byte> buffer) -> std::size_t {
                                        if (given >= fail_after) throw std::runtime_error("source failed");
                                        const std::size_t n = source(buffer);
                                        given += n;
                                        return n;
                                      }),
                 std::runtime_error);
    EXPECT_FALSE(storage_->try_head("broken"));
    EXPECT_TRUE(storage_->list().empty());
    EXPECT_TRUE(storage_->list_pending_uploads().empty()) << "a failed put left an upload open";
  }
}

// ---- create_only ------------------------------------------------------------------------------

TEST_P(StorageSuite, CreateOnlyRefusesExistingKey) {
  storage_->put("manifest.json", bytes_of("first"), {.create_only = true});
  EXPECT_THAT(error_message(ErrorCode::AlreadyExists,
                       [&] { storage_->put("manifest.json", bytes_of("second"), {.create_only = true}); }),
              HasSubstr("manifest.json"));
  EXPECT_THAT(error_message(ErrorCode::AlreadyExists,
                       [&] {
                         const auto data = bytes_of("third");
                         storage_->put_stream("manifest.json", chunked_source(data), {.create_only = true});
                       }),
              HasSubstr("manifest.json"));
  EXPECT_EQ(storage_->get_all("manifest.json"), bytes_of("first"));
  EXPECT_TRUE(storage_->list_pending_uploads().empty());
}

TEST_P(StorageSuite, CreateOnlyRefusesExistingKeyForLargeObjects) {
  const auto data = pattern(6 * kMiB, 13);
  storage_->put("big", data, {.create_only = true});
  error_message(ErrorCode::AlreadyExists, [&] { storage_->put("big", pattern(6 * kMiB, 14), {.create_only = true}); });
  EXPECT_EQ(storage_->get_all("big"), data);
  EXPECT_TRUE(storage_->list_pending_uploads().empty()) << "a refused create_only put left an upload open";
}

TEST_P(StorageSuite, ExactlyOneRacingCreateOnlyPutWins) {
  constexpr int kWriters = 8;
  for (int round = 0; round < 3; ++round) {
    const std::string key = "race-" + std::to_string(round);
    std::atomic<int> ready{0};
    std::atomic<int> winners{0};
    std::atomic<int> refused{0};
    std::vector<int> won(kWriters, 0);
    std::vector<std::thread> writers;
    for (int writer = 0; writer < kWriters; ++writer) {
      writers.push_back(checked_thread([&, writer] {
        const auto data = pattern(1000, 100 + writer);
        ready.fetch_add(1);
        while (ready.load() < kWriters) std::this_thread::yield();
        try {
          storage_->put(key, data, {.create_only = true});
          winners.fetch_add(1);
          won[writer] = 1;
        } catch (const Error& error) {
          if (error.code() == ErrorCode::AlreadyExists) refused.fetch_add(1);
          else ADD_FAILURE() << error.what();
        }
      }));
    }
    for (auto& writer : writers) writer.join();
    EXPECT_EQ(winners.load(), 1) << key;
    EXPECT_EQ(refused.load(), kWriters - 1) << key;
    const int winner = static_cast<int>(std::find(won.begin(), won.end(), 1) - won.begin());
    EXPECT_EQ(storage_->get_all(key), pattern(1000, 100 + winner)) << "the content is not the winner's";
  }
}

// ---- missing keys and removal -------------------------------------------------------------------

TEST_P(StorageSuite, MissingKeyIsNotFoundNamingTheKey) {
  std::vector<std::byte> buffer(10);
  EXPECT_THAT(error_message(ErrorCode::NotFound, [&] { storage_->get("no/such-key", buffer); }), HasSubstr("no/such-key"));
  EXPECT_THAT(error_message(ErrorCode::NotFound, [&] { storage_->head("no/such-key"); }), HasSubstr("no/such-key"));
  EXPECT_THAT(error_message(ErrorCode::NotFound, [&] { storage_->get_all("no/such-key"); }), HasSubstr("no/such-key"));
  EXPECT_THAT(error_message(ErrorCode::NotFound, [&] { streamed_get(*storage_, "no/such-key"); }), HasSubstr("no/such-key"));
  EXPECT_FALSE(storage_->try_head("no/such-key"));
  storage_->put("dir/child", bytes_of("c"));
  EXPECT_FALSE(storage_->try_head("dir")) << "a prefix is not an object";
  error_message(ErrorCode::NotFound, [&] { storage_->get_all("dir"); });
}

TEST_P(StorageSuite, RemoveDeletesAndMissingKeyIsFine) {
  storage_->put("a/b/c", bytes_of("data"));
  storage_->put("a/d", bytes_of("data"));
  storage_->remove("a/b/c");
  EXPECT_FALSE(storage_->try_head("a/b/c"));
  EXPECT_EQ(keys_of(storage_->list()), std::vector<std::string>{"a/d"});
  storage_->remove("a/b/c");      // again
  storage_->remove("never/was");  // never existed
  storage_->put("a/b/c", bytes_of("again"));  // the prefix can be used again
  EXPECT_EQ(storage_->get_all("a/b/c"), bytes_of("again"));
}

TEST_P(StorageSuite, RemoveAllRemovesEveryNamedKey) {
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i) {
    keys.push_back("batch/" + std::to_string(i));
    storage_->put(keys.back(), bytes_of(keys.back()));
  }
  std::vector<std::string> doomed(keys.begin(), keys.begin() + 20);
  doomed.push_back("batch/missing");
  storage_->remove_all(doomed);
  EXPECT_EQ(keys_of(storage_->list()), (std::vector<std::string>{"batch/20", "batch/21", "batch/22", "batch/23",
                                                                  "batch/24"}));
  storage_->remove_all({});
  error_message(ErrorCode::InvalidArgument, [&] {
    const std::vector<std::string> bad = {"batch/20", "bad//key"};
    storage_->remove_all(bad);
  });
}

// ---- listing ----------------------------------------------------------------------------------

TEST_P(StorageSuite, ListIsInByteOrderAndFiltersByPrefix) {
  // '-' (0x2d) < '/' (0x2f) < '0' (0x30): a per-directory sort would get these wrong.
  const std::vector<std::string> keys = {"a0", "a/b", "a-b", "a/c/d", "ab", "b/x", "a/c-e", "a/c/e/f0",
                                         "Z", "\xc3\xa9t\xc3\xa9"};
  for (const auto& key : keys) storage_->put(key, bytes_of(key));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(keys_of(storage_->list()), sorted);
  EXPECT_EQ(keys_of(storage_->list("a/")), (std::vector<std::string>{"a/b", "a/c-e", "a/c/d", "a/c/e/f0"}));
  EXPECT_EQ(keys_of(storage_->list("a/c")), (std::vector<std::string>{"a/c-e", "a/c/d", "a/c/e/f0"}));
  EXPECT_EQ(keys_of(storage_->list("a")),
            (std::vector<std::string>{"a-b", "a/b", "a/c-e", "a/c/d", "a/c/e/f0", "a0", "ab"}));
  EXPECT_EQ(keys_of(storage_->list("a/c/d")), (std::vector<std::string>{"a/c/d"}));
  EXPECT_EQ(keys_of(storage_->list("a/c/e/")), (std::vector<std::string>{"a/c/e/f0"}));
  EXPECT_TRUE(storage_->list("zzz").empty());
  EXPECT_TRUE(storage_->list("a/b/").empty());
  for (const auto& object : storage_->list()) EXPECT_EQ(object.size, object.key.size()) << object.key;
}

TEST_P(StorageSuite, ListPagesContinueAfterTheToken) {
  std::vector<std::string> keys;
  for (int i = 0; i < 23; ++i) keys.push_back((i % 2 ? "p/odd/" : "p/") + std::to_string(100 + i));
  for (const auto& key : keys) storage_->put(key, bytes_of("v"));
  storage_->put("q/outside", bytes_of("v"));
  std::sort(keys.begin(), keys.end());

  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    const auto page = storage_->list_page("p/", token, 7);
    ASSERT_LE(page.objects.size(), 7u);
    if (!page.next_token.empty()) EXPECT_EQ(page.objects.size(), 7u) << "a page before the last is not full";
    for (const auto& object : page.objects) seen.push_back(object.key);
    token = page.next_token;
    ASSERT_LT(++pages, 10) << "pagination does not end";
  } while (!token.empty());
  EXPECT_EQ(seen, keys);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(keys_of(storage_->list("p/")), keys);
}

TEST_P(StorageSuite, ListPagesOfExactlyMaxKeys) {
  for (int i = 0; i < 14; ++i) storage_->put("k" + std::to_string(10 + i), bytes_of("v"));
  std::vector<std::string> seen;
  std::string token;
  do {
    const auto page = storage_->list_page("", token, 7);
    for (const auto& object : page.objects) seen.push_back(object.key);
    token = page.next_token;
  } while (!token.empty() && seen.size() < 100);
  EXPECT_EQ(seen.size(), 14u);
}

TEST_P(StorageSuite, ListRejectsMaxKeysOutsideOneToThousand) {
  error_message(ErrorCode::InvalidArgument, [&] { storage_->list_page("", "", 0); });
  error_message(ErrorCode::InvalidArgument, [&] { storage_->list_page("", "", 1001); });
}

TEST_P(StorageSuite, ListsAndRemovesMoreThanOnePageOfKeys) {
  constexpr int kKeys = 1003;
  constexpr int kThreads = 16;  // each put waits on its own durability (fsync, HTTP): overlap them
  std::vector<std::string> keys;
  for (int i = 0; i < kKeys; ++i) keys.push_back("many/" + std::to_string(10000 + i));
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.push_back(checked_thread([&, t] {
      for (int i = t; i < kKeys; i += kThreads) storage_->put(keys[i], bytes_of("x"));
    }));
  }
  for (auto& writer : writers) writer.join();

  const auto first = storage_->list_page("many/");
  EXPECT_EQ(first.objects.size(), 1000u);
  ASSERT_FALSE(first.next_token.empty());
  const auto second = storage_->list_page("many/", first.next_token);
  EXPECT_EQ(second.objects.size(), 3u);
  EXPECT_TRUE(second.next_token.empty());
  EXPECT_EQ(keys_of(storage_->list("many/")), keys);

  storage_->remove_all(keys);  // S3: more than one DeleteObjects request
  EXPECT_TRUE(storage_->list().empty());
}

// ---- keys -------------------------------------------------------------------------------------

TEST_P(StorageSuite, UnusualButValidKeysRoundTrip) {
  const std::vector<std::string> keys = {
      "dir with spaces/file name.bin",
      "unicode/\xc3\xbc" "n" "\xc3\xaf" "c" "\xc3\xb6" "d" "\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac.txt",  // ünïcödé/日本
      "deep/a/b/c/d/e/f/g",
      "special/+=&?#%!@'()*,;:$[]~.txt",
      "dots/.hidden/..twice/...three",
      "x"};
  for (const auto& key : keys) storage_->put(key, bytes_of(key));
  for (const auto& key : keys) EXPECT_EQ(storage_->get_all(key), bytes_of(key)) << key;
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(keys_of(storage_->list()), sorted);
}

TEST_P(StorageSuite, InvalidKeysAreRejectedNamingTheKey) {
  using namespace std::string_literals;
  for (const std::string& key : {""s, "/lead"s, "trail/"s, "a//b"s, "./a"s, "a/./b"s, "a/.."s, ".."s, "."s,
                                 "nul\0byte"s}) {
    SCOPED_TRACE("key '" + key + "'");
    std::vector<std::byte> buffer(10);
    error_message(ErrorCode::InvalidArgument, [&] { storage_->put(key, bytes_of("v")); });
    error_message(ErrorCode::InvalidArgument, [&] { storage_->get(key, buffer); });
    error_message(ErrorCode::InvalidArgument, [&] { storage_->head(key); });
    error_message(ErrorCode::InvalidArgument, [&] { storage_->remove(key); });
  }
  EXPECT_THAT(error_message(ErrorCode::InvalidArgument, [&] { storage_->put("up/../escape", bytes_of("v")); }),
              HasSubstr("up/../escape"));
  EXPECT_TRUE(storage_->list().empty());
}

TEST_P(StorageSuite, ObjectAndPrefixMayShareAName) {
  if (!GetParam().object_and_prefix_share_names) {
    GTEST_SKIP() << GetParam().name << " cannot hold an object 'a' and an object 'a/b' at once";
  }
  storage_->put("a", bytes_of("file"));
  storage_->put("a/b", bytes_of("child"));
  EXPECT_EQ(keys_of(storage_->list()), (std::vector<std::string>{"a", "a/b"}));
  EXPECT_EQ(storage_->get_all("a"), bytes_of("file"));
}

// ---- concurrency --------------------------------------------------------------------------------

TEST_P(StorageSuite, ConcurrentPutsOfDifferentKeys) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 10;
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.push_back(checked_thread([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const int id = t * kPerThread + i;
        storage_->put("shard/" + std::to_string(t) + "/" + std::to_string(i), pattern(1000 + id, id));
      }
    }));
  }
  for (auto& writer : writers) writer.join();
  EXPECT_EQ(storage_->list("shard/").size(), static_cast<std::size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      const int id = t * kPerThread + i;
      EXPECT_EQ(storage_->get_all("shard/" + std::to_string(t) + "/" + std::to_string(i)), pattern(1000 + id, id));
    }
  }
}

// A get never mixes two versions (storage.h). A get whose object is replaced during every one of
// its reads (5) may instead fail saying the object kept changing; a read can only be spoiled by a
// put that completes while it runs, so that failure is accepted only from a get that at least 5
// puts overlapped. Anything else that goes wrong fails the test.
TEST_P(StorageSuite, ReadersSeeWholeVersionsDuringOverwrites) {
  constexpr int kReadsPerGet = 5;  // storage.h: "up to 5 reads in all"
  constexpr int kPuts = 10;
  const auto a = pattern(2 * kMiB, 20);
  const auto b = pattern(2 * kMiB, 21);
  storage_->put("flip", a);
  std::atomic<int> puts_started{0};
  std::atomic<int> puts_finished{0};
  std::atomic<bool> stop{false};
  std::thread writer = checked_thread([&] {
    try {
      for (int i = 0; i < kPuts; ++i) {
        ++puts_started;
        storage_->put("flip", i % 2 ? a : b);
        ++puts_finished;
      }
    } catch (...) {
      stop.store(true);
      throw;
    }
    stop.store(true);
  });
  int reads = 0;
  while (!stop.load() || reads == 0) {
    const int finished_before = puts_finished.load();
    try {
      const auto seen = storage_->get_all("flip");
      EXPECT_TRUE(seen == a || seen == b) << "a reader saw a mix of two versions";
      ++reads;
    } catch (const std::exception& error) {
      const int overlapping = puts_started.load() - finished_before;
      if (std::string_view(error.what()).find("kept changing") == std::string_view::npos || overlapping < kReadsPerGet) {
        ADD_FAILURE() << "a read during overwrites failed with " << overlapping << " puts overlapping it: " << error.what();
        break;
      }
    }
  }
  writer.join();
  EXPECT_EQ(storage_->get_all("flip"), (kPuts - 1) % 2 ? a : b) << "the last put is not what a read sees";
}

}  // namespace ronde::testing

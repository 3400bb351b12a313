// The gets of S3Storage. A read of at most multipart_threshold bytes is one ranged GET. A larger
// read into a buffer asks HEAD for the size and ETag, then fetches `concurrency` large ranges in
// parallel; a stream fetches part-size ranges through a window of `concurrency` requests, after a
// first GET that tells the size. Every later range is pinned to the first answer's ETag
// (If-Match), so that a concurrent overwrite cannot mix two versions: get() then starts over on
// the new version, at most kReadAttempts reads in all; get_stream, which has delivered bytes of
// the old version, fails. Every range's byte count is checked; a short body is retried.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <future>
#include <limits>
#include <vector>

#include "ronde/core/error.h"
#include "storage/parallel_parts.h"
#include "storage/range.h"
#include "s3/s3_storage_impl.h"
#include "s3/s3_xml.h"

namespace ronde::s3 {

namespace {

// "bytes 0-99/1234" -> {first, last, total}.
bool parse_content_range(const std::string& text, std::uint64_t& first, std::uint64_t& last, std::uint64_t& total) {
  unsigned long long a = 0, b = 0, t = 0;
  if (std::sscanf(text.c_str(), "bytes %llu-%llu/%llu", &a, &b, &t) != 3) return false;
  first = a;
  last = b;
  total = t;
  return true;
}

// A range pinned to the first response's ETag found another version (or a shorter object): the
// object was overwritten during the read. get() starts over; a stream cannot.
class ObjectChanged : public Error {
 public:
  explicit ObjectChanged(const std::string& message) : Error(ErrorCode::Storage, message) {}
};

// Reads of one get() when every one of them sees the object replaced (storage.h states the bound).
constexpr int kReadAttempts = 5;

// Forwards progress calls while `done` does not fall below what was already reported: after a
// restart the new read reports again once it has passed the old one's count.
class MonotoneProgress {
 public:
  explicit MonotoneProgress(const checkpoint::Progress& inner) : inner_(inner) {}
  void operator()(std::uint64_t done, std::uint64_t total) {
    if (done < reported_) return;
    reported_ = done;
    inner_(done, total);
  }

 private:
  const checkpoint::Progress& inner_;
  std::uint64_t reported_ = 0;
};

}  // namespace

S3Storage::Range S3Storage::get_range(const std::string& full, std::uint64_t first, std::uint64_t count,
                                      std::span<std::byte> into, const std::string& if_match) {
  NameValues headers{{"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(first + count - 1)}};
  if (!if_match.empty()) headers.emplace_back("If-Match", "\"" + if_match + "\"");
  S3Call call{"GetObject", "GET", full, {}, std::move(headers)};
  call.into = into.first(static_cast<std::size_t>(count));
  const S3Reply reply = client_.execute(call);
  Range range;
  if (reply.status == 416) {
    range.unsatisfiable = true;
    return range;
  }
  if (reply.status == 412) {
    throw ObjectChanged("GetObject " + client_.uri_of_full_key(full) + ": the object changed while it was read (ETag " +
                                        if_match + " no longer matches), request id " + reply.request_id);
  }
  if (!reply.ok()) client_.fail(call, reply, "bytes " + std::to_string(first) + "+" + std::to_string(count));
  range.etag = unquote_etag(reply.header("etag").value_or(""));
  range.bytes = reply.body_bytes;
  if (reply.status == 206) {
    std::uint64_t a = 0, b = 0;
    if (!parse_content_range(reply.header("content-range").value_or(""), a, b, range.total) || a != first ||
        b - a + 1 != reply.body_bytes) {
      throw Error(ErrorCode::Storage, "GetObject " + client_.uri_of_full_key(full) + ": Content-Range '" +
                                          reply.header("content-range").value_or("") + "' does not match the " +
                                          std::to_string(reply.body_bytes) + " bytes from " + std::to_string(first) +
                                          " received, request id " + reply.request_id);
    }
  } else if (first == 0) {  // the server ignored Range and sent the whole object, which fit
    range.total = reply.body_bytes;
  } else {
    throw Error(ErrorCode::Storage, "GetObject " + client_.uri_of_full_key(full) + ": the server ignored the Range header");
  }
  return range;
}

std::uint64_t S3Storage::requested_end(const std::string& full, const checkpoint::GetOptions& options,
                                       std::uint64_t total) const {
  return options.offset + checkpoint::checked_range(client_.uri_of_full_key(full), total, options);
}

std::size_t S3Storage::get(std::string_view key, std::span<std::byte> buffer, const checkpoint::GetOptions& options) {
  checkpoint::validate_key(key);
  checkpoint::GetOptions read = options;
  if (options.progress) read.progress = MonotoneProgress(options.progress);
  for (int attempt = 1;; ++attempt) {
    try {
      return get_once(key, buffer, read);
    } catch (const ObjectChanged& changed) {
      // Another writer replaced the object during this read; what reached `buffer` may mix the
      // two versions, so the read starts again from scratch on the new one.
      if (attempt == kReadAttempts) {
        throw Error(ErrorCode::Storage, "get " + client_.uri_of_full_key(full_key(key)) +
                                            ": the object kept changing while it was read (replaced during each of " +
                                            std::to_string(kReadAttempts) + " reads); the last: " + changed.message());
      }
    }
  }
}

std::size_t S3Storage::get_once(std::string_view key, std::span<std::byte> buffer, const checkpoint::GetOptions& options) {
  const std::string full = full_key(key);
  const std::uint64_t wanted = options.length.value_or(std::numeric_limits<std::uint64_t>::max());
  if (options.length && *options.length > buffer.size()) {
    throw Error(ErrorCode::InvalidArgument, "get " + client_.uri_of_full_key(full) + ": a buffer of " +
                                                std::to_string(buffer.size()) + " bytes cannot hold the " +
                                                std::to_string(*options.length) + " bytes requested");
  }
  const std::uint64_t bound = std::min<std::uint64_t>(wanted, buffer.size());  // most bytes this read can return
  auto check_buffer = [&](std::uint64_t size) {
    if (size > buffer.size()) {
      throw Error(ErrorCode::InvalidArgument, "get " + client_.uri_of_full_key(full) + ": a buffer of " +
                                                  std::to_string(buffer.size()) + " bytes cannot hold the " +
                                                  std::to_string(size) + " bytes from offset " +
                                                  std::to_string(options.offset));
    }
  };
  if (bound == 0) {  // nothing to transfer: only check the object and the range
    check_buffer(requested_end(full, options, head(key).size) - options.offset);
    return 0;
  }

  if (bound <= options_.multipart_threshold) {
    // A small read: one GET, whose Content-Range also tells the object's size.
    const Range whole = get_range(full, options.offset, bound, buffer, "");
    if (whole.unsatisfiable) {  // offset at or past the end (or an empty object)
      requested_end(full, options, head(key).size);
      return 0;
    }
    const std::uint64_t size = requested_end(full, options, whole.total) - options.offset;
    check_buffer(size);
    if (whole.bytes != size) {
      throw ObjectChanged("GetObject " + client_.uri_of_full_key(full) + ": the object changed size while it was read");
    }
    if (options.progress) options.progress(size, size);
    return static_cast<std::size_t>(size);
  }

  // A large read: size and version from HEAD, then the bytes on `concurrency` parallel ranges,
  // each at least a part and pinned to the version. Few large ranges rather than many small
  // ones: every request costs a round trip, and some servers (moto) read the whole object for
  // every range.
  const checkpoint::ObjectInfo info = head(key);
  const std::uint64_t size = requested_end(full, options, info.size) - options.offset;
  check_buffer(size);
  if (size == 0) return 0;
  const auto concurrency = static_cast<std::uint64_t>(options_.concurrency);
  const std::uint64_t part = std::max<std::uint64_t>(part_size_for(0), (size + concurrency - 1) / concurrency);
  checkpoint::for_each_part(size, part, options_.concurrency,
                            [&](std::uint64_t start, std::uint64_t count) {
                              const Range range = get_range(full, options.offset + start, count,
                                                            buffer.subspan(static_cast<std::size_t>(start)), info.etag);
                              if (range.unsatisfiable || range.bytes != count) {
                                throw ObjectChanged("GetObject " + client_.uri_of_full_key(full) +
                                                    ": the object shrank while it was read");
                              }
                            },
                            options.progress);
  return static_cast<std::size_t>(size);
}

void S3Storage::get_stream(std::string_view key, const checkpoint::WriteChunk& sink, const checkpoint::GetOptions& options) {
  checkpoint::validate_key(key);
  const std::string full = full_key(key);
  const std::uint64_t part = part_size_for(0);
  const std::uint64_t first_count = std::min<std::uint64_t>(options.length.value_or(part), part);
  if (first_count == 0) {
    requested_end(full, options, head(key).size);
    return;
  }
  std::vector<std::byte> first(static_cast<std::size_t>(first_count));
  const Range head_range = get_range(full, options.offset, first_count, first, "");
  if (head_range.unsatisfiable) {
    requested_end(full, options, head(key).size);
    return;
  }
  const std::uint64_t end = requested_end(full, options, head_range.total);
  const std::uint64_t size = end - options.offset;
  const std::uint64_t first_bytes = std::min<std::uint64_t>(head_range.bytes, size);
  sink(std::span<const std::byte>(first).first(static_cast<std::size_t>(first_bytes)));
  if (options.progress) options.progress(first_bytes, size);
  first.clear();
  first.shrink_to_fit();

  // A window of up to `concurrency` ranges in flight, delivered in order.
  using Chunk = std::vector<std::byte>;
  std::deque<std::future<Chunk>> window;
  std::uint64_t next = first_bytes;
  std::uint64_t delivered = first_bytes;
  auto launch = [&] {
    const std::uint64_t start = next;
    const std::uint64_t count = std::min(part, size - start);
    next += count;
    window.push_back(std::async(std::launch::async, [this, &full, &options, &head_range, start, count] {
      Chunk chunk(static_cast<std::size_t>(count));
      const Range range = get_range(full, options.offset + start, count, chunk, head_range.etag);
      if (range.unsatisfiable || range.bytes != count) {
        throw ObjectChanged("GetObject " + client_.uri_of_full_key(full) + ": the object shrank while it was read");
      }
      return chunk;
    }));
  };
  try {
    while (delivered < size) {
      while (next < size && window.size() < static_cast<std::size_t>(options_.concurrency)) launch();
      std::future<Chunk> front = std::move(window.front());
      window.pop_front();  // before get(), which leaves the future without a state to wait for
      Chunk chunk = front.get();
      sink(chunk);
      delivered += chunk.size();
      if (options.progress) options.progress(delivered, size);
    }
  } catch (const ObjectChanged& changed) {
    for (auto& pending : window) pending.wait();  // no request may outlive this call
    throw Error(ErrorCode::Storage, "get_stream " + client_.uri_of_full_key(full) + ": the object was replaced after " +
                                        std::to_string(delivered) +
                                        " bytes of it were delivered, which a stream cannot take back (" +
                                        changed.message() + ")");
  } catch (...) {
    for (auto& pending : window) pending.wait();
    throw;
  }
}

}  // namespace ronde::s3

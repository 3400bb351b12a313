#include "engine/timeline.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "ronde/core/error.h"

namespace ronde {
namespace {

// Appends `text` to `out` as the inside of a JSON string: quotes, backslashes and control
// characters escaped; valid UTF-8 copied as is; every byte of an invalid sequence replaced by
// U+FFFD (so the file always parses, whatever bytes a tensor name holds).
void append_json_string(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char c = bytes[i];
    if (c < 0x80) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xF];
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // Length of the sequence c starts and the smallest code point it may encode (no overlongs).
    std::size_t length = 0;
    std::uint32_t code = 0, minimum = 0;
    if ((c & 0xE0) == 0xC0) length = 2, code = c & 0x1F, minimum = 0x80;
    else if ((c & 0xF0) == 0xE0) length = 3, code = c & 0x0F, minimum = 0x800;
    else if ((c & 0xF8) == 0xF0) length = 4, code = c & 0x07, minimum = 0x10000;
    bool valid = length != 0 && i + length <= size;
    for (std::size_t k = 1; valid && k < length; ++k) {
      const unsigned char continuation = bytes[i + k];
      valid = (continuation & 0xC0) == 0x80;
      code = (code << 6) | (continuation & 0x3F);
    }
    valid = valid && code >= minimum && code <= 0x10FFFF && !(code >= 0xD800 && code <= 0xDFFF);
    if (valid) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += kReplacement;
      ++i;
    }
  }
}

void append_quoted(std::string_view text, std::string& out) {
  out += '"';
  append_json_string(text, out);
  out += '"';
}

}  // namespace

bool Timeline::rank_writes(std::string_view path, int rank) {
  return !path.empty() && (rank == 0 || path.find("%r") != std::string_view::npos);
}

std::string Timeline::path_for_rank(std::string_view path, int rank) {
  std::string result;
  const std::string number = std::to_string(rank);
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 1 < path.size() && path[i + 1] == 'r') {
      result += number;
      ++i;
    } else {
      result += path[i];
    }
  }
  return result;
}

Timeline::Timeline(std::string path, int rank, std::chrono::milliseconds flush_interval)
    : path_(path_for_rank(path, rank)),
      rank_(rank),
      flush_interval_(std::max(flush_interval, std::chrono::milliseconds(1))),
      start_(std::chrono::steady_clock::now()) {
  if (path_.empty()) throw Error(ErrorCode::InvalidArgument, "timeline: the path is empty");
  file_ = std::fopen(path_.c_str(), "w");
  if (file_ == nullptr) {
    throw Error(ErrorCode::InvalidArgument,
                "timeline: cannot open '" + path_ + "' for writing: " + std::strerror(errno));
  }
  // The array's opening and this rank's process row; rows follow as tensors appear.
  std::string head = "[\n{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":" + std::to_string(rank_) +
                     ",\"tid\":0,\"args\":{\"name\":\"rank " + std::to_string(rank_) + "\"}}";
  write(head);
  if (error_) {
    std::fclose(file_);
    throw Error(ErrorCode::InvalidArgument, "timeline: cannot write '" + path_ + "': " + *error_);
  }
  writer_ = std::thread([this] { run_writer(); });
}

Timeline::~Timeline() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_one();
  writer_.join();
  // The writer has written every event; close the array.
  write("\n]\n");
  std::fclose(file_);
}

void Timeline::begin(std::string_view tensor, std::string_view phase, std::string_view detail) {
  record('B', tensor, phase, detail);
}

void Timeline::end(std::string_view tensor, std::string_view phase) { record('E', tensor, phase, {}); }

void Timeline::instant(std::string_view tensor, std::string_view what, std::string_view detail) {
  record('i', tensor, what, detail);
}

void Timeline::record(char phase, std::string_view tensor, std::string_view name, std::string_view detail) {
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start_).count();
  Event event{phase, micros, std::string(tensor), std::string(name), std::string(detail)};
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back(std::move(event));
  ++recorded_;
}

void Timeline::flush() {
  std::unique_lock<std::mutex> lock(mutex_);
  const std::uint64_t target = recorded_;
  flush_requested_ = true;
  wake_.notify_one();
  batch_written_.wait(lock, [&] { return written_count_ >= target || stop_; });
}

std::optional<std::string> Timeline::write_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return error_;
}

void Timeline::run_writer() {
  std::vector<Event> batch;
  std::string text;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait_for(lock, flush_interval_, [&] { return stop_ || flush_requested_; });
    const bool stopping = stop_;
    flush_requested_ = false;
    batch.swap(pending_);  // pending_ takes batch's emptied storage: no reallocation in steady state
    const std::uint64_t batch_end = recorded_;
    lock.unlock();

    text.clear();
    for (const Event& event : batch) format(event, text);
    batch.clear();
    if (!text.empty()) write(text);

    lock.lock();
    written_count_ = batch_end;
    batch_written_.notify_all();
    if (stopping) return;
  }
}

void Timeline::format(const Event& event, std::string& out) {
  auto [row, is_new] = rows_.try_emplace(event.tensor, static_cast<int>(rows_.size()) + 1);
  const std::string pid_tid =
      ",\"pid\":" + std::to_string(rank_) + ",\"tid\":" + std::to_string(row->second);
  if (is_new) {
    out += ",\n{\"name\":\"thread_name\",\"ph\":\"M\"" + pid_tid + ",\"args\":{\"name\":";
    append_quoted(event.tensor, out);
    out += "}},\n{\"name\":\"thread_sort_index\",\"ph\":\"M\"" + pid_tid +
           ",\"args\":{\"sort_index\":" + std::to_string(row->second) + "}}";
  }
  out += ",\n{\"name\":";
  append_quoted(event.name, out);
  out += ",\"ph\":\"";
  out += event.phase;
  out += "\",\"ts\":" + std::to_string(event.micros) + pid_tid;
  if (event.phase == 'i') out += ",\"s\":\"t\"";
  if (!event.detail.empty()) {
    out += ",\"args\":{\"detail\":";
    append_quoted(event.detail, out);
    out += '}';
  }
  out += '}';
}

void Timeline::write(const std::string& text) {
  if (error_) return;  // read without the lock: only the writer (or the constructor/destructor,
                       // when no writer runs) sets it
  if (std::fwrite(text.data(), 1, text.size(), file_) != text.size() || std::fflush(file_) != 0) {
    const std::string reason = std::strerror(errno);
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = reason;
  }
}

}  // namespace ronde

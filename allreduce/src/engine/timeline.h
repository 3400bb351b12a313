// Timeline: a Chrome trace of the engine's work on each tensor, for chrome://tracing and
// https://ui.perfetto.dev (EngineOptions::timeline_path, RONDE_TIMELINE).
//
//   Timeline timeline("/tmp/trace-%r.json", ctx.rank());
//   timeline.begin("grad/fc1.w", "NEGOTIATE");
//   timeline.instant("grad/fc1.w", "rank 1 ready");
//   timeline.end("grad/fc1.w", "NEGOTIATE");
//
// The file is the Trace Event Format's JSON Array Format: "[", then one event object per line
// separated by commas, then "]" when the Timeline is destroyed. Each tensor gets its own row (a
// "tid" named by a thread_name metadata event, in order of first appearance) within the process
// row of this rank ("pid" = rank, named "rank N"); phases are B/E duration events on that row, and
// instant() an instant event ("ph":"i", thread scope). Timestamps are microseconds of a steady
// clock since the Timeline was made. Names are escaped for JSON; bytes that are not valid UTF-8
// become U+FFFD, so the file always parses.
//
// The calling threads never wait for the disk: begin/end/instant take the time and append the
// event to an in-memory batch under a short lock; a writer thread of the Timeline's own swaps the
// batch out, formats it and writes it, at least every flush_interval, and flushes the file after
// each batch. A job that dies therefore leaves a file whose prefix holds all but the last interval's
// events; it lacks the closing "]", which chrome://tracing and Perfetto accept.
//
// Thread-safe: begin/end/instant may be called from any thread. Phases of one tensor should nest
// (end closes the most recent begin on that tensor's row, as Chrome pairs them).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

namespace ronde {

class Timeline {
 public:
  // Whether `rank` writes a timeline for the EngineOptions::timeline_path `path`: none for an empty
  // path; rank 0 only, unless the path contains "%r".
  static bool rank_writes(std::string_view path, int rank);
  // `path` with every "%r" replaced by `rank`.
  static std::string path_for_rank(std::string_view path, int rank);

  // Creates (truncates) path_for_rank(path, rank) and starts the writer thread, which writes at
  // least every `flush_interval` (at least 1 ms). Throws
  // Error(InvalidArgument) naming the path when it is empty or cannot be opened for writing.
  Timeline(std::string path, int rank,
           std::chrono::milliseconds flush_interval = std::chrono::milliseconds(500));
  // Writes what is left, closes the array and the file. Never throws.
  ~Timeline();
  Timeline(const Timeline&) = delete;
  Timeline& operator=(const Timeline&) = delete;

  // A phase of `tensor` starts / ends now. `detail`, when not empty, is shown as the event's
  // args.detail (e.g. a byte count or the fused batch's size).
  void begin(std::string_view tensor, std::string_view phase, std::string_view detail = {});
  void end(std::string_view tensor, std::string_view phase);
  // A point in time on the tensor's row, e.g. "rank 3 ready".
  void instant(std::string_view tensor, std::string_view what, std::string_view detail = {});

  // Blocks until every event recorded before the call is written and flushed to the file. For
  // tests and shutdown paths; the engine's thread should not call it on its hot path.
  void flush();

  // The path actually written (after "%r" replacement).
  const std::string& path() const { return path_; }
  // The first write error, if any (the writer stops writing after one); never throws.
  std::optional<std::string> write_error() const;

 private:
  struct Event {
    char phase;             // 'B', 'E' or 'i'
    std::int64_t micros;    // since start_
    std::string tensor;
    std::string name;
    std::string detail;
  };

  void record(char phase, std::string_view tensor, std::string_view name, std::string_view detail);
  void run_writer();
  // Appends the JSON of `event` (and of its row's metadata on first sight) to `out`.
  void format(const Event& event, std::string& out);
  void write(const std::string& text);

  const std::string path_;
  const int rank_;
  const std::chrono::milliseconds flush_interval_;
  const std::chrono::steady_clock::time_point start_;
  std::FILE* file_ = nullptr;

  // Shared between the callers and the writer.
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // writer: a flush was asked for, or stop
  std::condition_variable batch_written_;  // flush(): the writer finished a batch
  std::vector<Event> pending_;
  std::uint64_t recorded_ = 0;       // events ever appended to pending_
  std::uint64_t written_count_ = 0;  // of those, written and flushed
  bool flush_requested_ = false;
  bool stop_ = false;
  std::optional<std::string> error_;

  // The writer's own.
  std::unordered_map<std::string, int> rows_;  // tensor -> tid

  std::thread writer_;  // last: starts after everything above is ready
};

}  // namespace ronde

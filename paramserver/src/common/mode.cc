// The text forms of consistency modes (include/ronde/ps/client.h).
#include <string>

#include "ronde/core/error.h"
#include "ronde/ps/client.h"

namespace ronde::ps {

std::string_view to_string(Mode mode) {
  switch (mode) {
    case Mode::Sync: return "sync";
    case Mode::Async: return "async";
    case Mode::BoundedStaleness: return "stale";
  }
  return "?";
}

Mode parse_mode(std::string_view text) {
  if (text == "sync") return Mode::Sync;
  if (text == "async") return Mode::Async;
  if (text == "stale") return Mode::BoundedStaleness;
  throw Error(ErrorCode::InvalidArgument, "mode '" + std::string(text) + "' is not one of sync, async, stale");
}

}  // namespace ronde::ps

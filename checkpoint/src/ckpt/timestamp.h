// UTC timestamps of manifests as RFC 3339 text with milliseconds: "2024-11-24T22:20:00.123Z".
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ronde::checkpoint {

// Rounds down to the millisecond. Meant for times in the years 0000..9999.
std::string format_utc_millis(std::chrono::system_clock::time_point time);
// Exactly the form format_utc_millis writes (four-digit year, 'T', three fraction digits, 'Z'),
// with a real calendar date and time of day; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> parse_utc_millis(std::string_view text);

}  // namespace ronde::checkpoint

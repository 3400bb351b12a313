#include "aws/credentials_json.h"

#include <cctype>
#include <nlohmann/json.hpp>

#include "ronde/core/error.h"

namespace ronde::aws {

namespace {

[[noreturn]] void bad_time(std::string_view text, std::string_view what) {
  throw Error(ErrorCode::InvalidArgument,
              std::string(what) + " is '" + std::string(text) + "', not a time like 2024-05-01T12:00:00Z");
}

// The decimal number of `digits` digits at `text[position]`, or -1.
int number_at(std::string_view text, std::size_t position, std::size_t digits) {
  if (position + digits > text.size()) return -1;
  int value = 0;
  for (std::size_t i = position; i < position + digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::chrono::system_clock::time_point parse_iso8601(std::string_view text, std::string_view what) {
  using namespace std::chrono;
  // Fixed positions: YYYY-MM-DDTHH:MM:SS
  const int year = number_at(text, 0, 4), month = number_at(text, 5, 2), day = number_at(text, 8, 2);
  const int hour = number_at(text, 11, 2), minute = number_at(text, 14, 2), second = number_at(text, 17, 2);
  if (text.size() < 20 || year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0 ||
      text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      text[13] != ':' || text[16] != ':' || hour > 23 || minute > 59 || second > 60) {
    bad_time(text, what);
  }
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) bad_time(text, what);

  std::size_t position = 19;
  if (text[position] == '.') {  // fractional seconds: ignored (credentials expire on whole seconds)
    ++position;
    while (position < text.size() && std::isdigit(static_cast<unsigned char>(text[position]))) ++position;
  }
  seconds offset{0};
  const std::string_view zone = text.substr(position);
  if (zone == "Z" || zone == "z") {
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':' && number_at(zone, 1, 2) >= 0 &&
             number_at(zone, 4, 2) >= 0) {
    offset = hours(number_at(zone, 1, 2)) + minutes(number_at(zone, 4, 2));
    if (zone[0] == '-') offset = -offset;
  } else {
    bad_time(text, what);
  }
  const sys_seconds local = sys_days(date) + hours(hour) + minutes(minute) + seconds(second);
  return system_clock::time_point(local - offset);
}

TimedCredentials parse_credentials_json(std::string_view body, std::string_view source) {
  const auto fail = [&](const std::string& why) {
    throw Error(ErrorCode::Unauthenticated, std::string(source) + " answered with " + why);
  };
  const nlohmann::json document = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!document.is_object()) fail("something that is not a JSON object");

  const auto field = [&](const char* name, bool required) -> std::string {
    const auto it = document.find(name);
    if (it == document.end() || !it->is_string()) {
      if (required) fail(std::string("no string field \"") + name + "\"");
      return {};
    }
    return it->get<std::string>();
  };
  if (const std::string code = field("Code", false); !code.empty() && code != "Success") {
    fail("Code \"" + code + "\" (" + field("Message", false) + ")");
  }

  TimedCredentials result;
  result.credentials.access_key_id = field("AccessKeyId", true);
  result.credentials.secret_access_key = field("SecretAccessKey", true);
  result.credentials.session_token = field("Token", false);
  if (const std::string expiration = field("Expiration", false); !expiration.empty()) {
    result.expiration = parse_iso8601(expiration, std::string(source) + " field \"Expiration\"");
  }
  result.source = std::string(source);
  return result;
}

}  // namespace ronde::aws

// The text forms of TLS modes and reading token files (include/ronde/ps/security.h).
#include <fstream>
#include <sstream>

#include "ronde/core/error.h"
#include "ronde/ps/security.h"

namespace ronde::ps {

std::string_view to_string(TlsMode mode) {
  switch (mode) {
    case TlsMode::Off: return "off";
    case TlsMode::Server: return "server";
    case TlsMode::Mutual: return "mutual";
  }
  return "?";
}

TlsMode parse_tls_mode(std::string_view text) {
  if (text == "off") return TlsMode::Off;
  if (text == "server") return TlsMode::Server;
  if (text == "mutual") return TlsMode::Mutual;
  throw Error(ErrorCode::InvalidArgument, "TLS mode '" + std::string(text) + "' is not one of off, server, mutual");
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::InvalidArgument, "cannot read the token file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  const auto first = token.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) throw Error(ErrorCode::InvalidArgument, "the token file " + path + " is empty");
  const auto last = token.find_last_not_of(" \t\r\n");
  token = token.substr(first, last - first + 1);
  // It travels as the gRPC metadata value "Bearer <token>", which may hold printable ASCII only; a
  // token with other bytes (a second line, UTF-8) would make every call fail far from the cause.
  for (const char c : token) {
    if (c < 0x21 || c > 0x7e) {
      throw Error(ErrorCode::InvalidArgument, "the token file " + path +
                                                  " holds a character other than printable ASCII (spaces included) "
                                                  "inside the token; a token is one word");
    }
  }
  return token;
}

}  // namespace ronde::ps

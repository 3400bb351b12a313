// How a parameter-server connection is secured: TLS (server-authenticated or mutual) and a bearer
// token. The same TlsConfig kind is given to servers and their clients; docs/PARAMETER_SERVER.md
// shows how to make a CA and certificates with openssl.
//
//   server: --tls=mutual --cert server.pem --key server.key --ca ca.pem --token-file token
//   client: ClientOptions{.tls = TlsConfig::mutual("ca.pem", "worker.pem", "worker.key"),
//                         .token = read_token_file("token")}
//
// The token is checked on every call in every mode: under TLS the client sends it as call
// credentials, in plaintext as the same "authorization: Bearer <token>" metadata; the server
// compares it in constant time and refuses a missing or wrong one with UNAUTHENTICATED.
#pragma once

#include <string>
#include <string_view>

namespace ronde::ps {

enum class TlsMode {
  Off,     // plaintext (a server on a non-loopback address logs a warning)
  Server,  // the server presents a certificate; clients verify it against ca_file
  Mutual,  // and clients present certificates the server verifies against its ca_file
};

// "off", "server", "mutual"; parse_tls_mode throws Error(InvalidArgument) naming anything else.
std::string_view to_string(TlsMode mode);
TlsMode parse_tls_mode(std::string_view text);

// Files are PEM. For a server: cert_file/key_file are its own; ca_file verifies client certificates
// (Mutual). For a client: ca_file verifies the server; cert_file/key_file are its own (Mutual).
// A file that cannot be read is Error(InvalidArgument) naming it, when the server or client starts.
struct TlsConfig {
  TlsMode mode = TlsMode::Off;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // Client only: the name to check the server's certificate against instead of the host in its
  // address (e.g. "localhost" when certificates name localhost and servers are dialled by IP).
  std::string target_name_override;

  static TlsConfig off() { return {}; }
  static TlsConfig server_only(std::string ca_file) { return {TlsMode::Server, std::move(ca_file), {}, {}, {}}; }
  static TlsConfig mutual(std::string ca_file, std::string cert_file, std::string key_file) {
    return {TlsMode::Mutual, std::move(ca_file), std::move(cert_file), std::move(key_file), {}};
  }
};

// The token in `path` with surrounding whitespace removed; Error(InvalidArgument) naming the path
// when it cannot be read, holds an empty token, or a token with anything but printable non-space
// ASCII (it travels as gRPC metadata, RFC 6750's one-word bearer token).
std::string read_token_file(const std::string& path);

}  // namespace ronde::ps

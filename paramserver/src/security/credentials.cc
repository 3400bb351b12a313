#include "security/credentials.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "common/wire.h"
#include "ronde/core/error.h"

namespace ronde::ps::security {
namespace {

constexpr std::string_view kAuthorization = wire::kAuthorizationKey;

enum class PemKind { Certificate, PrivateKey };

// The PEM text of `path`; `role` says what it is for in the error ("server certificate", ...).
// Checks the block's kind, so that a key given for a certificate (or the reverse) is refused here,
// naming the file, rather than later as an anonymous handshake or bind failure inside gRPC.
std::string read_pem(const std::string& path, std::string_view role, PemKind kind) {
  if (path.empty()) {
    throw Error(ErrorCode::InvalidArgument, "TLS needs a " + std::string(role) + " file, and none was given");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(ErrorCode::InvalidArgument, "cannot read the " + std::string(role) + " file " + path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string pem = text.str();
  if (pem.find("-----BEGIN ") == std::string::npos) {
    throw Error(ErrorCode::InvalidArgument, "the " + std::string(role) + " file " + path + " holds no PEM block");
  }
  // "BEGIN CERTIFICATE", or "BEGIN PRIVATE KEY" / "BEGIN EC PRIVATE KEY" / "BEGIN RSA PRIVATE KEY".
  const bool right_kind = kind == PemKind::Certificate ? pem.find("-----BEGIN CERTIFICATE-----") != std::string::npos
                                                       : pem.find("PRIVATE KEY-----") != std::string::npos;
  if (!right_kind) {
    throw Error(ErrorCode::InvalidArgument, "the " + std::string(role) + " file " + path + " holds no PEM " +
                                                (kind == PemKind::Certificate ? "certificate" : "private key"));
  }
  return pem;
}

// Equality whose time depends only on expected.size(), not on where the texts first differ.
bool constant_time_equal(std::string_view presented, std::string_view expected) {
  unsigned char difference = presented.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const char other = i < presented.size() ? presented[i] : '\0';
    difference |= static_cast<unsigned char>(expected[i] ^ other);
  }
  return difference == 0;
}

}  // namespace

std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsConfig& tls) {
  if (tls.mode == TlsMode::Off) return grpc::InsecureServerCredentials();
  grpc::SslServerCredentialsOptions options(
      tls.mode == TlsMode::Mutual ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                  : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back(
      {read_pem(tls.key_file, "server private key", PemKind::PrivateKey),
       read_pem(tls.cert_file, "server certificate", PemKind::Certificate)});
  if (tls.mode == TlsMode::Mutual) {
    options.pem_root_certs = read_pem(tls.ca_file, "client CA certificate", PemKind::Certificate);
  }
  return grpc::SslServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsConfig& tls, const std::string& token,
                                                              grpc::ChannelArguments& arguments) {
  if (tls.mode == TlsMode::Off) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = read_pem(tls.ca_file, "server CA certificate", PemKind::Certificate);
  if (tls.mode == TlsMode::Mutual) {
    options.pem_private_key = read_pem(tls.key_file, "client private key", PemKind::PrivateKey);
    options.pem_cert_chain = read_pem(tls.cert_file, "client certificate", PemKind::Certificate);
  }
  if (!tls.target_name_override.empty()) arguments.SetSslTargetNameOverride(tls.target_name_override);
  auto channel = grpc::SslCredentials(options);
  if (token.empty()) return channel;
  return grpc::CompositeChannelCredentials(channel, grpc::AccessTokenCredentials(token));
}

void add_call_token(grpc::ClientContext& context, const TlsConfig& tls, const std::string& token) {
  if (tls.mode != TlsMode::Off || token.empty()) return;
  context.AddMetadata(std::string(kAuthorization), "Bearer " + token);
}

TokenChecker::TokenChecker(std::string token) : token_(std::move(token)) {}

grpc::Status TokenChecker::check(const grpc::ServerContext& context) const {
  if (!enabled()) return grpc::Status::OK;
  const auto& metadata = context.client_metadata();
  const auto found = metadata.find(grpc::string_ref(kAuthorization.data(), kAuthorization.size()));
  if (found == metadata.end()) return {grpc::StatusCode::UNAUTHENTICATED, "missing bearer token"};
  const std::string_view presented(found->second.data(), found->second.size());
  if (!constant_time_equal(presented, "Bearer " + token_)) {
    return {grpc::StatusCode::UNAUTHENTICATED, "wrong bearer token"};
  }
  return grpc::Status::OK;
}

bool is_loopback_address(std::string_view address) {
  // Unix-domain sockets never leave the machine.
  if (address.starts_with("unix:") || address.starts_with("unix-abstract:")) return true;
  std::string_view host = address;
  if (host.starts_with("[")) {  // "[::1]:7070" or "[::1]"
    const auto close = host.find(']');
    host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (std::count(host.begin(), host.end(), ':') == 1) {  // "host:port"
    host = host.substr(0, host.find(':'));
  }  // else a bare host name, IPv4 or IPv6 address without a port
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  return lower == "localhost" || lower == "::1" || lower == "0:0:0:0:0:0:0:1" || lower.starts_with("127.") ||
         lower.starts_with("::ffff:127.");
}

}  // namespace ronde::ps::security

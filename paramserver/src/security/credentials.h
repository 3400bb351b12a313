// gRPC credentials from a TlsConfig and a token, for both ends (include/ronde/ps/security.h states
// the policy). Every file is read when these are called; one that cannot be read, or holds no PEM
// block, is Error(InvalidArgument) naming the file and what it was for.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "ronde/ps/security.h"

namespace ronde::ps::security {

// Server: insecure credentials for Off; the certificate and key for Server; plus client
// certificate verification against ca_file (request and require) for Mutual.
std::shared_ptr<grpc::ServerCredentials> server_credentials(const TlsConfig& tls);

// Client: insecure for Off; SSL verifying the server against ca_file for Server; plus the client's
// certificate for Mutual. Under TLS a non-empty token is attached as call credentials
// ("authorization: Bearer <token>"). Sets the target name override into `arguments` when given.
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const TlsConfig& tls, const std::string& token,
                                                              grpc::ChannelArguments& arguments);

// Client, plaintext only: adds the token as ordinary metadata to one call (a no-op under TLS,
// where the call credentials carry it, or with an empty token).
void add_call_token(grpc::ClientContext& context, const TlsConfig& tls, const std::string& token);

// Server: checks every call's "authorization" metadata against the token (constant-time compare).
class TokenChecker {
 public:
  explicit TokenChecker(std::string token);  // empty: every call passes
  bool enabled() const { return !token_.empty(); }
  // OK, or UNAUTHENTICATED ("missing bearer token" / "wrong bearer token"; never echoing either).
  grpc::Status check(const grpc::ServerContext& context) const;

 private:
  std::string token_;
};

// True when a listen address ("host:port", "[v6]:port", a bare host, "unix:path") binds only
// loopback: 127.x, ::1, localhost, or a Unix-domain socket. 0.0.0.0, [::] and real interfaces are
// not.
bool is_loopback_address(std::string_view address);

}  // namespace ronde::ps::security

// What the TLS tests share: the test certificates (tests/support/make_test_certs.sh, made once
// per build tree), ronde-ps-server arguments for each security setup, client options with short
// deadlines, and one attempt at declare/push/pull that returns the ronde::Error it met.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "ronde/core/error.h"
#include "ronde/ps/client.h"
#include "ronde/ps/security.h"

namespace ronde::ps::testing {

// The directory holding ca.pem, server.pem/.key, client.pem/.key, other-ca.pem,
// other-client.pem/.key, token and wrong-token; made on first use.
const std::string& test_certs();
std::string cert_path(const std::string& name);  // test_certs() + "/" + name
std::string token();                             // the contents of "token"
std::string wrong_token();                       // the contents of "wrong-token"

// ronde-ps-server flags for one shard, one worker, async, optimizer "sum", with `mode` (server
// certificate and key for Server and Mutual, the CA for Mutual) and, when `with_token`, the token.
std::vector<std::string> server_arguments(TlsMode mode, bool with_token);

// Client TLS configurations: trusting the test CA; presenting the test client certificate too.
TlsConfig trusting_client();
TlsConfig mutual_client();

// One worker, one server, short deadlines and a short retry budget (refusals fail fast).
ClientOptions client_options(const std::string& address, TlsConfig tls, std::string token);

// Connects, declares a 6-element float tensor (1..6; a new name each attempt), pushes ones and
// pulls; on success checks the pulled values (2..7) and the step (1) and returns nullopt; returns
// the ronde::Error thrown otherwise.
// Other exceptions propagate (a test failure).
std::optional<Error> attempt(const ClientOptions& options);

// Formats an Error for assertion messages: "<Code>: <message>".
std::string describe(const std::optional<Error>& error);

}  // namespace ronde::ps::testing

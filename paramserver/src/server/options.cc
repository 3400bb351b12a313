// ServerOptions::parse and help_text: ronde-ps-server's command line.
#include <cmath>
#include <limits>
#include <sstream>

#include "ronde/core/env.h"
#include "ronde/core/error.h"
#include "ronde/ps/server.h"

namespace ronde::ps {
namespace {

[[noreturn]] void bad(const std::string& message) { throw Error(ErrorCode::InvalidArgument, message); }

// Numbers go through Environment's strict parsers, with the flag as the "variable" they name.
std::int64_t integer(const std::string& flag, const std::string& value, std::int64_t low, std::int64_t high) {
  MapEnvironment env;
  env.set(flag, value);
  const std::int64_t number = env.get_int(flag, 0);
  if (number < low || number > high) {
    bad(flag + " " + value + " is outside " + std::to_string(low) + ".." + std::to_string(high));
  }
  return number;
}

double real(const std::string& flag, const std::string& value) {
  MapEnvironment env;
  env.set(flag, value);
  const double number = env.get_double(flag, 0);
  if (!std::isfinite(number) || number < 0) bad(flag + " " + value + " must be a finite number >= 0");
  return number;
}

std::uint64_t bytes(const std::string& flag, const std::string& value) {
  MapEnvironment env;
  env.set(flag, value);
  const std::size_t number = env.get_bytes(flag, 0);
  if (number == 0) bad(flag + " must be at least 1 byte");
  return number;
}

// Builds the optimizer once over a one-element parameter, so that a bad name or option fails at
// start-up with optim's own message (which lists the valid ones).
void check_optimizer(const std::string& name, const optim::OptionMap& options) {
  if (name == "sum") {
    if (!options.empty()) bad("--opt " + options.begin()->first + "=...: optimizer 'sum' takes no options");
    return;
  }
  float value = 0;
  float grad = 0;
  try {
    optim::make_optimizer(name, options, {{"check", Tensor(&value, DType::F32, {1}), Tensor(&grad, DType::F32, {1})}});
  } catch (const Error& error) {
    const bool unknown = error.message().find("unknown optimizer") != std::string::npos;
    bad("--optimizer " + name + ": " + error.message() + (unknown ? "; or sum (the server adds the pushes)" : ""));
  }
}

}  // namespace

ServerOptions ServerOptions::parse(int argc, const char* const* argv) {
  ServerOptions options;
  bool staleness_given = false;
  std::vector<std::string> tls_files_given;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.starts_with("--")) bad("unexpected argument '" + arg + "' (options start with --)");
    std::string flag = arg;
    std::string inline_value;
    bool has_inline = false;
    if (const auto eq = arg.find('='); eq != std::string::npos) {
      flag = arg.substr(0, eq);
      inline_value = arg.substr(eq + 1);
      has_inline = true;
    }
    auto value = [&]() -> std::string {
      if (has_inline) return inline_value;
      if (i + 1 >= argc) bad(flag + " needs a value");
      return argv[++i];
    };
    if (flag == "--listen") {
      options.listen = value();
      if (options.listen.find(':') == std::string::npos) bad("--listen " + options.listen + " is not host:port");
    } else if (flag == "--port-file") {
      options.port_file = value();
    } else if (flag == "--shard") {
      options.shard = static_cast<std::uint32_t>(integer(flag, value(), 0, std::numeric_limits<std::int32_t>::max()));
    } else if (flag == "--shards") {
      options.shards = static_cast<std::uint32_t>(integer(flag, value(), 1, std::numeric_limits<std::int32_t>::max()));
    } else if (flag == "--workers") {
      options.workers = static_cast<std::uint32_t>(integer(flag, value(), 1, 1 << 20));
    } else if (flag == "--mode") {
      options.mode = parse_mode(value());
    } else if (flag == "--staleness") {
      options.staleness = static_cast<std::uint32_t>(integer(flag, value(), 0, 1 << 30));
      staleness_given = true;
    } else if (flag == "--aggregate") {
      const std::string text = value();
      if (text == "mean") options.aggregation = Aggregation::Mean;
      else if (text == "sum") options.aggregation = Aggregation::Sum;
      else bad("--aggregate '" + text + "' is not one of mean, sum");
    } else if (flag == "--optimizer") {
      options.optimizer = value();
    } else if (flag == "--opt") {
      const std::string text = value();
      const auto eq = text.find('=');
      if (eq == 0 || eq == std::string::npos) bad("--opt '" + text + "' is not key=value (e.g. --opt lr=0.01)");
      options.optimizer_options[text.substr(0, eq)] = text.substr(eq + 1);
    } else if (flag == "--tls") {
      options.tls.mode = parse_tls_mode(value());
    } else if (flag == "--cert") {
      options.tls.cert_file = value();
      tls_files_given.push_back(flag);
    } else if (flag == "--key") {
      options.tls.key_file = value();
      tls_files_given.push_back(flag);
    } else if (flag == "--ca") {
      options.tls.ca_file = value();
      tls_files_given.push_back(flag);
    } else if (flag == "--token-file") {
      options.token_file = value();
      if (options.token_file.empty()) bad("--token-file needs a path");
    } else if (flag == "--checkpoint") {
      options.checkpoint_uri = value();
      if (options.checkpoint_uri.empty()) bad("--checkpoint needs a URI (file:///path, s3://bucket/prefix or a path)");
    } else if (flag == "--checkpoint-every-steps") {
      options.checkpoint_every_steps = integer(flag, value(), 0, std::numeric_limits<std::int64_t>::max());
    } else if (flag == "--worker-timeout") {
      options.worker_timeout_seconds = real(flag, value());
    } else if (flag == "--checkpoint-every-seconds") {
      options.checkpoint_every_seconds = real(flag, value());
    } else if (flag == "--max-request-bytes") {
      options.max_request_bytes = bytes(flag, value());
    } else if (flag == "--log-level") {
      options.log_level = parse_log_level(value());
    } else {
      bad("unknown option '" + flag + "'");
    }
  }

  if (options.shard >= options.shards) {
    bad("--shard " + std::to_string(options.shard) + " must be below --shards " + std::to_string(options.shards));
  }
  if (staleness_given && options.mode != Mode::BoundedStaleness) bad("--staleness applies to --mode stale only");
  if (options.tls.mode == TlsMode::Off && !tls_files_given.empty()) {
    bad(tls_files_given.front() + " needs --tls server or --tls mutual");
  }
  if (options.tls.mode != TlsMode::Off && (options.tls.cert_file.empty() || options.tls.key_file.empty())) {
    bad("--tls " + std::string(to_string(options.tls.mode)) + " needs the server's --cert and --key");
  }
  if (options.tls.mode == TlsMode::Mutual && options.tls.ca_file.empty()) {
    bad("--tls mutual needs --ca (the CA that signs the workers' certificates)");
  }
  if (options.checkpoint_uri.empty() &&
      (options.checkpoint_every_steps > 0 || options.checkpoint_every_seconds > 0)) {
    bad("--checkpoint-every-steps and --checkpoint-every-seconds need --checkpoint URI");
  }
  check_optimizer(options.optimizer, options.optimizer_options);
  return options;
}

std::string ServerOptions::help_text() {
  const ServerOptions defaults;
  std::ostringstream text;
  text << "ronde-ps-server: one shard of a ronde parameter-server job.\n"
          "\n"
          "Usage: ronde-ps-server [options]      (--flag value or --flag=value)\n"
          "\n"
          "Placement:\n"
          "  --listen HOST:PORT          address to serve on (default "
       << defaults.listen
       << "; port 0 picks a free one)\n"
          "  --port-file PATH            write the bound port there once listening\n"
          "  --shard I                   this server's index in the workers' server list (default 0)\n"
          "  --shards N                  number of servers (default 1)\n"
          "  --workers N                 number of workers (default 1); sync and stale modes wait for all\n"
          "\n"
          "Training:\n"
          "  --mode sync|async|stale     consistency (default sync):\n"
          "                                sync: step s is applied once every worker pushed it;\n"
          "                                async: each push is applied on arrival;\n"
          "                                stale: as async, and a pull for step s waits until every\n"
          "                                worker has pushed s - staleness steps\n"
          "  --staleness TAU             bounded staleness (stale mode only; default 0)\n"
          "  --worker-timeout SECONDS    sync and stale modes: a pull or declare that has waited this\n"
          "                              long for other workers is refused, naming the workers it\n"
          "                              waits for (lost or stalled); 0 waits for the call's deadline\n"
          "                              (default 60)\n"
          "  --aggregate mean|sum        how sync mode combines a step's pushes (default mean)\n"
          "  --optimizer NAME            sgd, adam, adamw, adagrad, rmsprop, lamb, or sum (values += the\n"
          "                              aggregate: workers apply their own updates) (default sgd)\n"
          "  --opt KEY=VALUE             an optimizer option, repeatable (e.g. --opt lr=0.01 --opt momentum=0.9)\n"
          "\n"
          "Security:\n"
          "  --tls off|server|mutual     plaintext, server certificate, or mutual TLS (default off)\n"
          "  --cert PATH --key PATH      the server's certificate and private key (PEM)\n"
          "  --ca PATH                   the CA that signs workers' certificates (mutual)\n"
          "  --token-file PATH           require this bearer token on every call (any TLS mode)\n"
          "\n"
          "Checkpoints:\n"
          "  --checkpoint URI            file:///path, s3://bucket/prefix or a path; state goes under\n"
          "                              URI/shard-I and is restored from there at start-up\n"
          "  --checkpoint-every-steps K  when a tensor advanced K versions since the last checkpoint\n"
          "  --checkpoint-every-seconds T  at most every T seconds while anything changes\n"
          "                              (and always on SIGTERM/SIGINT, before exiting)\n"
          "\n"
          "Limits and logging:\n"
          "  --max-request-bytes N       largest partition, push or pull accepted (default 16G; K/M/G suffixes)\n"
          "  --log-level LEVEL           trace, debug, info, warn, error, off (default info)\n"
          "  --help                      this text\n"
          "\n"
          "SIGTERM or SIGINT: stop accepting calls, finish those in flight, write a final checkpoint, exit 0.\n"
          "docs/PARAMETER_SERVER.md documents every option.\n";
  return text.str();
}

}  // namespace ronde::ps

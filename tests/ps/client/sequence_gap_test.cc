// The client's side of the sequence-gap rule (server/sequence_gap.h), through one Connection to a
// real server: a push whose previous sequence the server lacks is refused with ABORTED; the
// connection verifies the server (which would replay what it retained) and sends it again; when
// the gap remains under the same incarnation, the pushes it lacks are no longer retained, and the
// push goes on with gap_allowed after a warning that says they are lost: two refusals, not one
// and not more. (Replays themselves send gap_allowed; restart_test.cc kills and restarts servers.)
#include <gtest/gtest.h>

#include <sstream>

#include "client/calls.h"
#include "client/connection.h"
#include "client_fixture.h"
#include "ronde/core/logging.h"

namespace ronde::ps::testing {
namespace {

using namespace std::chrono_literals;

client::PushRecord record(std::uint64_t sequence, std::uint64_t previous, const std::vector<float>& values) {
  client::PushRecord push;
  push.tensor = "w";
  push.kind = sequence == 0 ? v1::INITIAL : v1::GRADIENT;
  push.step = sequence == 0 ? 0 : static_cast<std::int64_t>(sequence) - 1;
  push.sequence = sequence;
  push.previous_sequence = previous;
  push.length = values.size();
  push.values = std::as_bytes(std::span(values));
  return push;
}

TEST(ClientSequenceGap, PushesWhosePredecessorsAreLostGoOnWithAWarning) {
  ServerGroup servers(1, {"--workers", "1", "--mode", "async", "--optimizer", "sum"});
  const ClientOptions options = client_options(servers.addresses(), 0, 1);
  std::ostringstream warnings;
  const Logger log(LogLevel::Warn, "test worker", &warnings);
  client::Connection connection(0, options, log);
  connection.connect();

  v1::DeclareRequest declare;
  declare.set_tensor("w");
  declare.set_dtype(v1::F32);
  declare.add_shape(2);
  declare.set_partition_count(1);
  declare.set_length(2);
  declare.set_shard_map_version(ShardMap::kFormatVersion);
  connection.call("Declare", 5s, [&](client::Stub& stub, grpc::ClientContext& context, std::string& incarnation) {
    v1::DeclareReply reply;
    const grpc::Status status = stub.generated().Declare(&context, declare, &reply);
    incarnation = reply.incarnation();
    return status;
  });
  const std::vector<float> zeros{0, 0}, gradient{1, 2};
  connection.push(record(0, 0, zeros), 5s);

  // Sequence 3 after 2, which this server never took and nothing retains.
  const v1::PushReply reply = connection.push(record(3, 2, gradient), 5s);
  EXPECT_FALSE(reply.duplicate());
  EXPECT_EQ(reply.version(), 1u);
  const std::string said = warnings.str();
  for (const char* part : {"sequence gap", "no longer retains", "lost", "Push of 'w' partition 0 (step 2, sequence 3)"}) {
    EXPECT_NE(said.find(part), std::string::npos) << "missing '" << part << "' in: " << said;
  }

  const std::string server_log = servers.logs();
  std::size_t refusals = 0;
  for (auto at = server_log.find("sequence gap"); at != std::string::npos; at = server_log.find("sequence gap", at + 1)) {
    ++refusals;
  }
  EXPECT_EQ(refusals, 2u) << "expected one refusal before the verification and one after it:\n" << server_log;

  std::vector<float> pulled(2, -1);
  connection.call("Pull", 5s, [&](client::Stub& stub, grpc::ClientContext& context, std::string& incarnation) {
    v1::PullRequest request;
    request.set_tensor("w");
    v1::PullHeader header;
    const grpc::Status status =
        client::pull_once(stub, context, request, DType::F32, std::as_writable_bytes(std::span(pulled)), header);
    incarnation = header.incarnation();
    return status;
  });
  EXPECT_EQ(pulled, gradient) << "the push was not applied exactly once";

  // The next push follows on without a gap: no second warning.
  warnings.str("");
  EXPECT_FALSE(connection.push(record(4, 3, gradient), 5s).duplicate());
  EXPECT_EQ(warnings.str(), "");
}

}  // namespace
}  // namespace ronde::ps::testing

// Malformed and mismatched requests: each is refused with INVALID_ARGUMENT naming the tensor (and
// both shapes or dtypes where there are two), nothing changes, and the server keeps serving.
#include <gtest/gtest.h>

#include "ps/server/server_fixture.h"

namespace ronde::ps::testing {
namespace {

// Worker 0's first gradient push of the whole of "w" (6 elements), declared as `dtype`.
v1::PushHeader w_gradient_header(v1::DType dtype) {
  v1::PushHeader header;
  header.set_tensor("w");
  header.set_worker(0);
  header.set_sequence(1);
  header.set_dtype(dtype);
  header.set_length(6);
  return header;
}

const std::vector<float> kInitial = {1, 2, 3, 4, 5, 6};

class ValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(client().declare(dense_declare("w", {2, 3})).ok());
    ASSERT_TRUE(client().push("w", 0, 0, 0, 0, kInitial, v1::INITIAL).status.ok());
  }
  RawClient& client() { return *server_.client; }

  // The server still answers, holds one partition, and "w" still has its initial values.
  void expect_unchanged() {
    v1::StatusReply status;
    ASSERT_TRUE(client().status(status).ok()) << server_.process.log_tail();
    EXPECT_EQ(status.partitions(), 1u);
    const PullResult pulled = client().pull("w", 0, 0, 0);
    ASSERT_TRUE(pulled.status.ok()) << pulled.status.error_message();
    EXPECT_EQ(pulled.values, kInitial);
    EXPECT_EQ(pulled.header.version(), 0u);
  }

  RunningServer server_{{"--workers", "2", "--mode", "sync", "--optimizer", "sgd", "--opt", "lr=0.5",
                         "--max-request-bytes", "1M"}};
};

TEST_F(ValidationTest, DeclareWithAnotherShapeNamesBothShapes) {
  EXPECT_TRUE(refused(client().declare(dense_declare("w", {3, 3}, 1)), {"'w'", "[2, 3]", "[3, 3]"}));
  expect_unchanged();
}

TEST_F(ValidationTest, DeclareWithAnotherDtypeNamesBoth) {
  auto request = dense_declare("w", {2, 3}, 1);
  request.set_dtype(v1::F64);
  EXPECT_TRUE(refused(client().declare(request), {"'w'", "f32[2, 3]", "f64[2, 3]"}));
  expect_unchanged();
}

TEST_F(ValidationTest, DeclareWithAnotherPartitionLayoutNamesBoth) {
  EXPECT_TRUE(refused(client().declare(partition_declare("w", 6, 0, 2)), {"'w'", "partition 0 of 1", "partition 0 of 2"}));
  expect_unchanged();
}

TEST_F(ValidationTest, DeclareOfHugeSizeIsRefusedBeforeAllocating) {
  EXPECT_TRUE(refused(client().declare(dense_declare("huge", {1LL << 20, 1LL << 20})),
                      {"'huge'", "[1048576, 1048576]", "--max-request-bytes"}));
  EXPECT_TRUE(refused(client().declare(dense_declare("overflow", {1LL << 40, 1LL << 40})), {"'overflow'", "2^64"}));
  expect_unchanged();
}

TEST_F(ValidationTest, OversizedPartitionIsRefused) {
  // 1 MiB limit: 262145 f32 elements are 4 bytes too many.
  EXPECT_TRUE(refused(client().declare(dense_declare("big", {262145})), {"'big'", "[262145]", "1048576"}));
  EXPECT_TRUE(client().declare(dense_declare("fits", {262144})).ok());
}

TEST_F(ValidationTest, MalformedDeclaresAreRefused) {
  auto negative = dense_declare("n", {2, -3});
  EXPECT_TRUE(refused(client().declare(negative), {"'n'", "[2, -3]", "negative"}));
  auto partition = dense_declare("p", {6});
  partition.set_partition(2);
  partition.set_partition_count(2);
  EXPECT_TRUE(refused(client().declare(partition), {"'p'", "partition 2 of 2"}));
  auto outside = dense_declare("o", {6});
  outside.set_offset(4);
  EXPECT_TRUE(refused(client().declare(outside), {"'o'", "[6]", "outside"}));
  auto dtype = dense_declare("d", {6});
  dtype.set_dtype(v1::DTYPE_UNSET);
  EXPECT_TRUE(refused(client().declare(dtype), {"'d'", "dtype 0"}));
  auto worker = dense_declare("k", {6}, 7);
  EXPECT_TRUE(refused(client().declare(worker), {"'k'", "worker 7", "2 workers"}));
  auto map_version = dense_declare("m", {6});
  map_version.set_shard_map_version(99);
  EXPECT_TRUE(refused(client().declare(map_version), {"'m'", "format 99"}));
  auto no_name = dense_declare("", {6});
  EXPECT_TRUE(refused(client().declare(no_name), {"name a tensor"}));
  expect_unchanged();
}

TEST_F(ValidationTest, UnknownTensorInPushAndPull) {
  EXPECT_TRUE(refused(client().push("nope", 0, 0, 0, 1, kInitial).status, {"'nope'", "unknown tensor"}));
  EXPECT_TRUE(refused(client().pull("nope", 0, 0, 0).status, {"'nope'", "unknown tensor"}));
  EXPECT_TRUE(refused(client().push("w", 3, 0, 0, 1, kInitial).status, {"'w' partition 3", "unknown tensor"}));
  expect_unchanged();
}

TEST_F(ValidationTest, WrongDtypeInPush) {
  const v1::PushHeader header = w_gradient_header(v1::F64);
  const auto result = client().push_raw(header, std::string(48, '\0'));
  EXPECT_TRUE(refused(result.status, {"'w'", "f64[6]", "f32[6]", "f32[2, 3]"}));
  expect_unchanged();
}

TEST_F(ValidationTest, WrongLengthInPush) {
  const auto result = client().push("w", 0, 0, 0, 1, std::vector<float>(10, 1.0f));
  EXPECT_TRUE(refused(result.status, {"'w'", "f32[10]", "f32[6]", "[2, 3]"}));
  expect_unchanged();
}

TEST_F(ValidationTest, DataBeforeHeader) {
  v1::PushReply reply;
  auto context = client().context();
  auto writer = client().stub().Push(context.get(), &reply);
  v1::PushChunk chunk;
  chunk.set_data(bytes_of(kInitial));
  writer->Write(chunk);
  writer->WritesDone();
  EXPECT_TRUE(refused(writer->Finish(), {"must start with a PushHeader"}));
  expect_unchanged();
}

TEST_F(ValidationTest, EmptyPushStream) {
  v1::PushReply reply;
  auto context = client().context();
  auto writer = client().stub().Push(context.get(), &reply);
  writer->WritesDone();
  EXPECT_TRUE(refused(writer->Finish(), {"empty Push stream"}));
  expect_unchanged();
}

TEST_F(ValidationTest, SecondHeader) {
  const v1::PushHeader header = w_gradient_header(v1::F32);
  v1::PushReply reply;
  auto context = client().context();
  auto writer = client().stub().Push(context.get(), &reply);
  v1::PushChunk chunk;
  *chunk.mutable_header() = header;
  writer->Write(chunk);
  writer->Write(chunk);
  writer->WritesDone();
  EXPECT_TRUE(refused(writer->Finish(), {"'w'", "second header"}));
  expect_unchanged();
}

TEST_F(ValidationTest, DataInTheHeaderMessage) {
  const v1::PushHeader header = w_gradient_header(v1::F32);
  v1::PushReply reply;
  auto context = client().context();
  auto writer = client().stub().Push(context.get(), &reply);
  v1::PushChunk chunk;
  *chunk.mutable_header() = header;
  chunk.set_data(std::string(24, '\0'));
  writer->Write(chunk);
  writer->WritesDone();
  EXPECT_TRUE(refused(writer->Finish(), {"PushHeader message must carry no data"}));
  expect_unchanged();
}

TEST_F(ValidationTest, TruncatedAndOverlongStreams) {
  const v1::PushHeader header = w_gradient_header(v1::F32);
  EXPECT_TRUE(refused(client().push_raw(header, std::string(12, '\0')).status, {"'w'", "truncated", "12 of 24 bytes"}));
  EXPECT_TRUE(refused(client().push_raw(header, std::string(28, '\0'), 4).status, {"'w'", "more data"}));
  expect_unchanged();
  // Nothing was taken: the same sequence is still new.
  EXPECT_FALSE(client().push("w", 0, 0, 0, 1, {1, 1, 1, 1, 1, 1}).reply.duplicate());
}

TEST_F(ValidationTest, BadSequenceStepKindAndWorker) {
  EXPECT_TRUE(refused(client().push("w", 0, 0, 0, 0, kInitial).status, {"'w'", "sequences start at 1"}));
  EXPECT_TRUE(refused(client().push("w", 0, 0, -1, 1, kInitial).status, {"'w'", "negative"}));
  EXPECT_TRUE(refused(client().push("w", 0, 5, 0, 1, kInitial).status, {"'w'", "worker 5"}));
  EXPECT_TRUE(refused(client().push("w", 0, 1, 0, 1, kInitial, v1::INITIAL).status, {"'w'", "only worker 0"}));
  EXPECT_TRUE(refused(client().push("w", 0, 0, 0, 1, kInitial, static_cast<v1::PushKind>(7)).status, {"'w'", "kind 7"}));
  EXPECT_TRUE(refused(client().pull("w", 0, 9, 0).status, {"'w'", "worker 9"}));
  expect_unchanged();
}

TEST_F(ValidationTest, WrongStepInSync) {
  const std::vector<float> gradient = {2, 2, 2, 2, 2, 2};
  ASSERT_TRUE(client().push("w", 0, 0, 0, 1, gradient).status.ok());
  ASSERT_TRUE(client().push("w", 0, 1, 0, 1, gradient).status.ok());  // step 0 complete: w -= 0.5 * 2
  // A new sequence for a completed step, a step pushed twice, a step beyond the next.
  EXPECT_TRUE(refused(client().push("w", 0, 0, 0, 2, gradient).status, {"'w'", "wrong step", "step 0 is complete"}));
  ASSERT_TRUE(client().push("w", 0, 0, 1, 2, gradient).status.ok());
  EXPECT_TRUE(refused(client().push("w", 0, 0, 1, 3, gradient).status, {"'w'", "wrong step", "already pushed step 1"}));
  EXPECT_TRUE(refused(client().push("w", 0, 1, 5, 2, gradient).status, {"'w'", "wrong step"}));
  EXPECT_TRUE(refused(client().pull("w", 0, 1, 5).status, {"'w'", "wrong step"}));
  const PullResult pulled = client().pull("w", 0, 0, 1);
  ASSERT_TRUE(pulled.status.ok());
  EXPECT_EQ(pulled.header.version(), 1u);
  EXPECT_EQ(pulled.values, std::vector<float>({0, 1, 2, 3, 4, 5}));
}

TEST_F(ValidationTest, SparseRequestsAreChecked) {
  ASSERT_TRUE(client().declare(table_declare("emb", 4)).ok());
  auto other_width = table_declare("emb", 8, 1);
  EXPECT_TRUE(refused(client().declare(other_width), {"'emb'", "rows of 4", "rows of 8"}));
  EXPECT_TRUE(refused(client().declare(table_declare("w", 4)), {"'w'", "dense tensor"}));
  EXPECT_TRUE(refused(client().declare(dense_declare("emb", {4})), {"'emb'", "sparse table"}));
  EXPECT_TRUE(refused(client().push_rows("emb", 0, 0, 1, {1}, {1, 2, 3}, 3).status, {"'emb'", "[1, 3]", "rows of 4"}));
  EXPECT_TRUE(refused(client().push_rows("nope", 0, 0, 1, {1}, {1, 2, 3, 4}, 4).status, {"'nope'", "unknown table"}));
  EXPECT_TRUE(refused(client().pull_rows("nope", 0, 0, {1}).status, {"'nope'", "unknown table"}));
  std::vector<std::int64_t> too_many(65537, 1);
  EXPECT_TRUE(refused(client().pull_rows("emb", 0, 0, too_many).status, {"'emb'", "65536"}));
  // A data chunk whose values do not match its ids.
  v1::PushReply reply;
  auto context = client().context();
  auto writer = client().stub().PushRows(context.get(), &reply);
  v1::RowsChunk chunk;
  v1::RowsHeader* header = chunk.mutable_header();
  header->set_tensor("emb");
  header->set_sequence(1);
  header->set_dtype(v1::F32);
  header->set_row_width(4);
  header->set_rows(2);
  writer->Write(chunk);
  chunk.clear_header();
  v1::RowsData* data = chunk.mutable_data();
  data->add_ids(1);
  data->add_ids(2);
  data->set_values(std::string(16, '\0'));
  writer->Write(chunk);
  writer->WritesDone();
  EXPECT_TRUE(refused(writer->Finish(), {"'emb'", "2 ids", "16 bytes"}));
  expect_unchanged();
}

}  // namespace
}  // namespace ronde::ps::testing

// DType, Tensor, Error, Logger and Context construction.
#include <gtest/gtest.h>

#include <sstream>

#include "ronde/core/context.h"
#include "ronde/core/dtype.h"
#include "ronde/core/error.h"
#include "ronde/core/logging.h"
#include "ronde/core/tensor.h"
#include "support/thread_transport.h"

namespace {

using ronde::DType;
using ronde::Error;
using ronde::ErrorCode;

TEST(DType, SizesNamesAndParsing) {
  EXPECT_EQ(ronde::dtype_size(DType::F16), 2u);
  EXPECT_EQ(ronde::dtype_size(DType::BF16), 2u);
  EXPECT_EQ(ronde::dtype_size(DType::F32), 4u);
  EXPECT_EQ(ronde::dtype_size(DType::F64), 8u);
  EXPECT_EQ(ronde::dtype_size(DType::I32), 4u);
  EXPECT_EQ(ronde::dtype_size(DType::I64), 8u);
  EXPECT_EQ(ronde::dtype_size(DType::U8), 1u);
  for (DType d : {DType::F16, DType::BF16, DType::F32, DType::F64, DType::I32, DType::I64, DType::U8}) {
    EXPECT_EQ(ronde::parse_dtype(ronde::to_string(d)), d);
  }
  try {
    ronde::parse_dtype("float");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("'float'"), std::string::npos);
  }
  EXPECT_EQ(ronde::dtype_of<float>, DType::F32);
  EXPECT_EQ(ronde::dtype_of<const ronde::BFloat16>, DType::BF16);
}

TEST(Tensor, ViewAndDescription) {
  std::vector<float> data(12);
  ronde::Tensor t(data.data(), DType::F32, {3, 4});
  EXPECT_EQ(t.numel(), 12);
  EXPECT_EQ(t.nbytes(), 48u);
  EXPECT_EQ(t.describe(), "f32[3,4] on cpu");
  EXPECT_EQ(ronde::Tensor(data.data(), DType::F16, {2}, ronde::Device::cuda(1)).describe(), "f16[2] on cuda:1");
  EXPECT_EQ(ronde::Tensor::of(data).shape(), (std::vector<std::int64_t>{12}));
  EXPECT_EQ(ronde::Tensor(nullptr, DType::F32, {0, 5}).numel(), 0);  // empty tensors need no memory
  EXPECT_THROW(ronde::Tensor(data.data(), DType::F32, {-1}), Error);
  EXPECT_THROW(ronde::Tensor(nullptr, DType::F32, {2}), Error);
  EXPECT_THROW(ronde::Tensor(data.data(), DType::F32, {2}, ronde::Device::cuda(-1)), Error);
}

// Element and byte counts never wrap: a shape whose bytes a 64-bit size cannot count is refused,
// naming the shape; a zero dimension empties the tensor whatever the other dimensions are.
TEST(Tensor, HugeShapesAreRefusedAndZeroDimensionsEmpty) {
  float one = 0;
  const std::int64_t big = std::int64_t{1} << 31;
  try {
    ronde::Tensor(&one, DType::F32, {big, big, 4});
    FAIL() << "a shape of 2^64 elements was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::InvalidArgument);
    EXPECT_NE(e.message().find("[2147483648,2147483648,4]"), std::string::npos) << e.message();
  }
  // 2^61 elements fit an int64, their 2^64 bytes of f64 do not.
  EXPECT_THROW(ronde::Tensor(&one, DType::F64, {std::int64_t{1} << 61}), Error);
  EXPECT_EQ(ronde::Tensor(&one, DType::U8, {std::int64_t{1} << 62}).nbytes(), std::size_t{1} << 62);
  EXPECT_EQ(ronde::Tensor(nullptr, DType::F32, {big, big, big, 0}).numel(), 0);
}

TEST(Error, CodeAndMessage) {
  const Error error(ErrorCode::Mismatch, "tensor 'w' differs on rank 3");
  EXPECT_EQ(error.code(), ErrorCode::Mismatch);
  EXPECT_EQ(error.message(), "tensor 'w' differs on rank 3");
  EXPECT_STREQ(error.what(), "Mismatch: tensor 'w' differs on rank 3");
  EXPECT_STREQ(Error(ErrorCode::ResourceExhausted, "x").what(), "ResourceExhausted: x");
}

TEST(Logger, FiltersByLevelAndPrefixesEveryLine) {
  std::ostringstream sink;
  ronde::Logger logger(ronde::LogLevel::Info, "ronde 2/4", &sink);
  logger.debug("hidden");
  logger.info("step ", 7, " done");
  logger.warn("slow");
  EXPECT_EQ(sink.str(), "[ronde 2/4 INFO] step 7 done\n[ronde 2/4 WARN] slow\n");
  EXPECT_EQ(ronde::parse_log_level("WARNING"), ronde::LogLevel::Warn);
  EXPECT_THROW(ronde::parse_log_level("loud"), Error);
  std::ostringstream silent;
  ronde::Logger off(ronde::LogLevel::Off, "x", &silent);
  off.error("nothing");
  EXPECT_TRUE(silent.str().empty());
}

TEST(Context, InitWithoutLauncherIsASingleProcess) {
  ronde::MapEnvironment env;
  ronde::InitOptions options = ronde::InitOptions::from_env(env);
  options.environment = &env;
  options.sagemaker_root = "/nonexistent-ronde-test-root";
  ronde::Context context = ronde::init(options);
  EXPECT_EQ(context.size(), 1);
  EXPECT_EQ(context.topology().source, ronde::TopologySource::Single);
  EXPECT_EQ(context.transport().size(), 1);
  EXPECT_FALSE(context.sagemaker().has_value());
}

TEST(Context, TorchrunVariablesWithoutMpiGiveATopologyButNoTransport) {
  ronde::MapEnvironment env({{"RANK", "1"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"}, {"LOCAL_WORLD_SIZE", "2"}});
  ronde::InitOptions options;
  options.environment = &env;
  options.sagemaker_root = "/nonexistent-ronde-test-root";
  ronde::Context context = ronde::init(options);
  EXPECT_EQ(context.rank(), 1);
  EXPECT_EQ(context.size(), 4);
  EXPECT_EQ(context.topology().cross_size, 2);
  try {
    context.transport();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::Unavailable);
    EXPECT_NE(std::string(e.what()).find("mpirun"), std::string::npos) << e.what();
  }
}

TEST(Context, BadKnobsAreNamed) {
  ronde::MapEnvironment env;
  env.set("RONDE_LOG_LEVEL", "chatty");
  EXPECT_THROW(ronde::InitOptions::from_env(env), Error);
  ronde::MapEnvironment launcher;
  launcher.set("RONDE_LAUNCHER", "slurm");
  try {
    ronde::InitOptions::from_env(launcher);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("RONDE_LAUNCHER='slurm'"), std::string::npos);
  }
}

TEST(Context, CustomTransportMustMatchTheTopology) {
  auto fabric = std::make_shared<ronde::testing::ThreadFabric>(2);
  ronde::Topology topology;  // says 1 rank
  EXPECT_THROW(ronde::Context(std::make_unique<ronde::testing::ThreadTransport>(fabric, 0), topology), Error);
}

}  // namespace

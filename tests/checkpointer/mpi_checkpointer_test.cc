// The Checkpointer under mpirun: ranks are processes talking over MPI (Tag::Checkpoint), sharing a
// temporary file:// root that rank 0 creates and broadcasts.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <random>

#include "checkpointer_fixture.h"

namespace ronde::checkpoint::testing {
namespace {

Context& context() {
  static Context ctx = ronde::init();  // test binary only: one context for the whole run
  return ctx;
}

// A root shared by every rank: rank 0 makes it, everyone learns its path.
std::string shared_root() {
  char path[512] = {};
  if (context().rank() == 0) {
    std::random_device device;
    const auto dir = std::filesystem::temp_directory_path() / ("ronde-ckptr-mpi-" + std::to_string(device()));
    std::filesystem::create_directories(dir);
    std::snprintf(path, sizeof path, "%s", dir.c_str());
  }
  MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
  return path;
}

TEST(MpiCheckpointer, AsyncSavesAndRestoreAcrossProcesses) {
  Context& ctx = context();
  const std::string root = shared_root();
  const std::string uri = "file://" + root;
  {
    ToyState toy(ctx.rank(), 1, 100000);
    CheckpointState state;
    toy.register_in(state);
    state.metadata["world"] = std::to_string(ctx.size());
    CheckpointerOptions options = test_options();
    options.every_steps = 2;
    options.keep_last = 2;
    Checkpointer ck(ctx, uri, options);
    EXPECT_FALSE(ck.restore_latest(state).has_value());
    for (int step = 1; step <= 6; ++step) {
      ck.maybe_save(step, state);
      toy.fill(ctx.rank(), step + 1);
    }
    ck.wait();
    EXPECT_EQ(ck.last_committed()->step, 6);
  }
  {
    ToyState blank(ctx.rank(), 0, 100000);
    CheckpointState state;
    blank.register_in(state);
    Checkpointer ck(ctx, uri, test_options());
    EXPECT_EQ(ck.restore_latest(state), std::optional<std::int64_t>(6));
    EXPECT_EQ(blank.w, ToyState(ctx.rank(), 6, 100000).w);
    EXPECT_EQ(blank.pos, ToyState(ctx.rank(), 6, 100000).pos);
    EXPECT_EQ(state.metadata.at("world"), std::to_string(ctx.size()));
    if (ctx.rank() == 0) EXPECT_EQ(checkpoint_names(ck.storage(), false).size(), 2u);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  if (ctx.rank() == 0) std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace ronde::checkpoint::testing

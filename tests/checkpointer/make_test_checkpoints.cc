// make_test_checkpoints ROOT_URI RANKS STEP...: saves one real checkpoint per STEP under ROOT_URI
// with the Checkpointer, RANKS ranks as threads, for tests of tools over checkpoints
// (ronde_ckpt_checkpoints_test.sh). The state: ToyState (replicated "w" f32[1000] and "b" f64[3],
// per-rank "pos" i64[2]), an optimizer record "adamw" over "b", metadata and user JSON.
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "checkpointer_fixture.h"
#include "support/thread_ranks.h"

int main(int argc, char** argv) {
  using ronde::checkpoint::Checkpointer;
  using ronde::checkpoint::CheckpointState;
  namespace fixture = ronde::checkpoint::testing;
  if (argc < 4) {
    std::cerr << "usage: make_test_checkpoints ROOT_URI RANKS STEP...\n";
    return 2;
  }
  try {
    const std::string uri = argv[1];
    const int ranks = std::stoi(argv[2]);
    const std::vector<std::string> steps(argv + 3, argv + argc);
    ronde::testing::run_ranks(ranks, [&](ronde::Context& ctx) {
      Checkpointer ck(ctx, uri, fixture::test_options());
      for (const std::string& text : steps) {
        const std::int64_t step = std::stoll(text);
        fixture::ToyState toy(ctx.rank(), static_cast<int>(step));
        CheckpointState state;
        toy.register_in(state);
        state.add_optimizer({"adamw", {{"optimizer", "adamw"}, {"step", text}}, {"b"}});
        state.metadata["data.position"] = std::to_string(step * 10);
        state.user_json = R"({"arch": "toy"})";
        ck.save(step, state);
      }
    });
  } catch (const std::exception& error) {
    std::cerr << "make_test_checkpoints: " << error.what() << "\n";
    return 1;
  }
  return 0;
}

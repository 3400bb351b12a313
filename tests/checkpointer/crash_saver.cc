// crash_saver ROOT_URI RANKS LAST_STEP: a "training job" for the crash test (crash_test.sh), which
// kills it with SIGKILL at random moments, mid-save included, and restarts it.
//
// Each start restores the latest checkpoint and checks that the state holds exactly the values of
// the step it restored (ToyState is a pure function of rank and step); then it "trains" to
// LAST_STEP, saving asynchronously after every step (keep_last 2, so retention deletes while saves
// run). Prints "resumed <step>" (or "fresh") first and "done <LAST_STEP>" at the end.
// Exit: 0 done; 3 a restored state did not hold its step's values (a corrupt restore); 1 error.
#include <atomic>
#include <iostream>
#include <string>

#include "checkpointer_fixture.h"
#include "support/thread_ranks.h"

int main(int argc, char** argv) {
  namespace fixture = ronde::checkpoint::testing;
  if (argc != 4) {
    std::cerr << "usage: crash_saver ROOT_URI RANKS LAST_STEP\n";
    return 2;
  }
  const std::string uri = argv[1];
  const int ranks = std::stoi(argv[2]);
  const std::int64_t last_step = std::stoll(argv[3]);
  constexpr std::size_t kElements = 2 << 20;  // 8 MiB of "w" per rank: saves take a while
  std::atomic<bool> corrupt{false};
  try {
    ronde::testing::run_ranks(ranks, [&](ronde::Context& ctx) {
      auto options = fixture::test_options();
      options.every_steps = 1;
      options.keep_last = 2;
      options.plan.min_split_bytes = 1 << 20;
      ronde::checkpoint::Checkpointer ck(ctx, uri, options);
      fixture::ToyState toy(ctx.rank(), 0, kElements);
      ronde::checkpoint::CheckpointState state;
      toy.register_in(state);
      const std::optional<std::int64_t> restored = ck.restore_latest(state);
      const std::int64_t start = restored.value_or(0);
      if (restored) {
        const fixture::ToyState expected(ctx.rank(), static_cast<int>(start), kElements);
        if (toy.w != expected.w || toy.b != expected.b || toy.pos != expected.pos) corrupt = true;
      }
      if (ctx.rank() == 0) std::cout << (restored ? "resumed " + std::to_string(start) : std::string("fresh")) << std::endl;
      for (std::int64_t step = start + 1; step <= last_step; ++step) {
        toy.fill(ctx.rank(), static_cast<int>(step));  // "training" step `step`
        ck.maybe_save(step, state);
      }
      ck.wait();
      if (ctx.rank() == 0) std::cout << "done " << last_step << std::endl;
    });
  } catch (const std::exception& error) {
    std::cerr << "crash_saver: " << error.what() << "\n";
    return 1;
  }
  if (corrupt) {
    std::cerr << "crash_saver: a restored checkpoint did not hold the values of its step\n";
    return 3;
  }
  return 0;
}

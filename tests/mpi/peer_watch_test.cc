// The peer watch under mpirun (RONDE_PEER_TIMEOUT_S set small by the test):
//
//   peer_watch_test straggler   the last rank sleeps 4 timeouts before joining an allreduce; it is
//                               slow, not lost: every rank completes, exit 0
//   peer_watch_test lost        rank 1 is stopped (SIGSTOP, as a hung host would be) while the
//                               others allreduce; each of them must fail within timeout + 5 s with
//                               Error(Unavailable) naming rank 1 and its host, print
//                               "peer_watch_test: rank R: lost rank seen after S s: MESSAGE" and
//                               exit 3 (mpirun then ends the job; peer_watch_test.sh checks it)
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "ronde/allreduce/collectives.h"
#include "ronde/core/context.h"
#include "ronde/core/error.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Stops this process now and lets it go again after `seconds` (from a child, which dies with it).
void stop_for(int seconds) {
  const pid_t parent = getpid();
  if (fork() == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    kill(parent, SIGSTOP);
    sleep(static_cast<unsigned>(seconds));
    kill(parent, SIGCONT);
    _exit(0);
  }
  sleep(1);  // stopped here, within the second
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  ronde::Context context = ronde::init();
  ronde::Collectives collectives(context);
  const int rank = context.rank(), size = context.size();
  const double timeout = std::atof(std::getenv("RONDE_PEER_TIMEOUT_S") ? std::getenv("RONDE_PEER_TIMEOUT_S") : "30");
  std::vector<float> values(1024, 1.0f);

  if (mode == "straggler") {
    for (int round = 0; round < 3; ++round) {
      if (rank == size - 1 && round == 1) std::this_thread::sleep_for(std::chrono::duration<double>(4 * timeout));
      collectives.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum);
    }
    if (values[0] != static_cast<float>(size * size * size)) {
      std::fprintf(stderr, "peer_watch_test: rank %d: wrong sum %f\n", rank, static_cast<double>(values[0]));
      return 1;
    }
    if (rank == 0) std::printf("peer_watch_test: a rank %.1f s late was waited for, not lost\n", 4 * timeout);
    return 0;
  }
  if (mode != "lost") {
    std::fprintf(stderr, "usage: peer_watch_test straggler|lost\n");
    return 2;
  }
  collectives.barrier();
  if (rank == 1) {
    stop_for(static_cast<int>(3 * timeout + 30));  // longer than the others take to give up
    return 0;  // not reached in a passing run: mpirun ends the job first
  }
  const auto start = Clock::now();
  try {
    for (;;) collectives.allreduce(ronde::Tensor::of(values), ronde::ReduceOp::Sum);
  } catch (const ronde::Error& error) {
    const double waited = seconds_since(start);
    const std::string expected = context.topology().rank_name(1) + " is lost";
    const bool named = error.message().find(expected) != std::string::npos;
    const bool in_time = waited < timeout + 5;
    std::printf("peer_watch_test: rank %d: lost rank seen after %.1f s (%s, %s): %s\n", rank, waited,
                error.code() == ronde::ErrorCode::Unavailable ? "Unavailable" : "WRONG CODE",
                named && in_time ? "ok" : "WRONG", error.what());
    std::fflush(stdout);
    // A program that catches the error has a moment (writing a failure file, say) before it ends;
    // mpirun ends the whole job once one rank exits.
    std::this_thread::sleep_for(std::chrono::seconds(1));
    return error.code() == ronde::ErrorCode::Unavailable && named && in_time ? 3 : 1;
  }
}

// Agreeing on the step at which to stop after SIGTERM/SIGINT.
//
// Every rank must make its final save at the same step (Checkpointer::save_now is collective), but
// mpirun's SIGTERM reaches the ranks at slightly different moments, possibly in different steps.
// So each step every rank votes with its own Checkpointer::interrupted() flag, and the vote is the
// maximum over ranks (a 1-element allreduce through the engine). The vote is started before the
// step's computation and read after it, so its round trip overlaps the step.
#pragma once

#include <cstdint>

#include "ronde/allreduce/engine.h"

namespace digits {

class StopVote {
 public:
  explicit StopVote(ronde::Engine& engine) : engine_(engine) {}

  // Starts this step's vote with this rank's flag. Collective: every rank, every step.
  void start(bool interrupted_here);
  // Waits for the vote started last: true when any rank was interrupted. Identical on every rank.
  bool any_interrupted();

 private:
  ronde::Engine& engine_;
  std::int32_t flag_ = 0;  // the allreduce's buffer: stays valid until any_interrupted() returns
  ronde::Handle handle_;
};

}  // namespace digits

#include "stop_vote.h"

namespace digits {

void StopVote::start(bool interrupted_here) {
  flag_ = interrupted_here ? 1 : 0;
  handle_ =
      engine_.allreduce_async("digits/stop_vote", ronde::Tensor(&flag_, ronde::DType::I32, {1}), ronde::ReduceOp::Max);
}

bool StopVote::any_interrupted() {
  handle_.wait();
  return flag_ != 0;
}

}  // namespace digits

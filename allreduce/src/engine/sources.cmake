# The Horovod-style engine (include/ronde/allreduce/engine.h): one job per file.
list(APPEND allreduce_sources
  src/engine/engine.cc                # the public API: argument checks, requests, the thread
  src/engine/engine_options.cc        # EngineOptions::from_env
  src/engine/handle.cc                # Handle: wait, poll, outcome
  src/engine/submission_queue.cc      # callers' threads -> the engine's thread
  src/engine/background_loop.cc       # the cycle: cache bits, round trip, run
  src/engine/control_channel.cc       # the negotiation's messages on the engine's tags
  src/engine/messages.cc              # requests, responses, their encoding, agreed fields
  src/engine/coordinator.cc           # rank 0: readiness, agreement, join, shutdown
  src/engine/stall_inspector.cc       # stall warnings and timeouts
  src/engine/response_cache.cc        # negotiated names, identical on every rank
  src/engine/fusion_plan.cc           # which responses share one collective
  src/engine/fusion_buffer.cc         # packing, compression casts, unpacking
  src/engine/executor.cc              # runs the batches on the engine's Collectives
  src/engine/timeline.cc)             # Chrome trace of the phases
if(RONDE_HAVE_CUDA)
  list(APPEND allreduce_sources src/engine/fusion_device.cc)  # the fusion buffer on a CUDA device
endif()

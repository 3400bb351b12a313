# The Checkpointer (include/ronde/checkpoint/checkpointer.h): the state, the commit protocol, the
# background saves, restore-latest-valid and retention (docs/CHECKPOINTS.md).
list(APPEND checkpoint_sources
  src/checkpointer/checkpoint_state.cc      # CheckpointState: named tensors and records
  src/checkpointer/checkpointer_options.cc  # CheckpointerOptions::from_env, the SageMaker default URI
  src/checkpointer/root_channel.cc          # length-prefixed messages to and from rank 0 (Tag::Checkpoint)
  src/checkpointer/messages.cc              # rank reports and outcomes as JSON
  src/checkpointer/device_copy.cc           # host <-> tensor copies (memcpy, or CUDA streams)
  src/checkpointer/snapshot.cc              # the host snapshot into reusable staging buffers
  src/checkpointer/persist.cc               # the commit protocol: shards, reports, manifest last
  src/checkpointer/verify.cc                # manifest + shard size and checksum checks
  src/checkpointer/load_state.cc            # a verified checkpoint into a CheckpointState
  src/checkpointer/restore.cc               # restore_latest: rank 0 chooses, every rank loads
  src/checkpointer/retention.cc             # keep_last / keep_every, orphans, stale uploads
  src/checkpointer/save_worker.cc           # the background save thread
  src/checkpointer/checkpointer.cc)         # the public class

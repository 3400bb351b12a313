# The foundations of the checkpointer: checksums, the manifest (keys, JSON, checks, upload plan),
# interruption handling (signals, the EC2 spot notice) and the SageMaker failure file.
list(APPEND checkpoint_sources
  src/ckpt/checksum.cc              # XXH3-64 over libxxhash
  src/ckpt/checkpoint_keys.cc       # ckpt-<step>-<nonce>/ key layout
  src/ckpt/timestamp.cc             # RFC 3339 UTC times of manifests
  src/ckpt/strict_json.cc           # strict JSON reading with named paths
  src/ckpt/manifest_json.cc         # to_json / parse_manifest
  src/ckpt/manifest_check.cc        # validate_manifest: ranges, names, references
  src/ckpt/encryption.cc            # EncryptionKey: hex, file, environment, id
  src/ckpt/frame_cipher.cc          # framed AES-256-GCM of encrypted shards
  src/ckpt/upload_plan.cc           # plan_uploads: tensors over ranks
  src/ckpt/signal_flag.cc           # the SIGTERM/SIGINT handler and its registration
  src/ckpt/spot_notice.cc           # the EC2 spot notice poller
  src/ckpt/interruption.cc          # InterruptionWatcher
  src/ckpt/interruption_options.cc  # InterruptionOptions::from_env
  src/ckpt/sagemaker_output.cc)     # output/failure

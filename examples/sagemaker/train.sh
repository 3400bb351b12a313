#!/usr/bin/env bash
# SageMaker training entry point for digits_mlp (the image's ENTRYPOINT; SageMaker runs it with
# the argument "train", which is accepted and ignored).
#
# It follows the SageMaker training-container layout under $RONDE_SAGEMAKER_ROOT (default /opt/ml):
#   input/config/resourceconfig.json    hosts: this entry point runs single-host jobs
#   input/config/hyperparameters.json   values are JSON strings; digits_mlp reads every one of them
#                                       as the flag of the same name ("steps": "2000"), except
#                                       "processes_per_host" (ranks to start; default: CPU count),
#                                       which is this script's
#   input/data/train/digits.csv.gz      the data channel "train"
#   checkpoints/                        digits_mlp resumes from and saves to it (SageMaker syncs it
#                                       with the job's CheckpointConfig S3 URI)
#   model/digits_mlp.model              the trained model (SageMaker uploads model/ at the end)
#   output/failure                      why the job failed, when it did
#
# SIGTERM (SageMaker's stop, or a spot reclaim) is forwarded at once to the ranks, which agree on a
# step, save a final checkpoint and exit 0; the next run of the job resumes from it.
#
# Environment: RONDE_SAGEMAKER_ROOT (the root, for tests), DIGITS_MLP_PROGRAM (the program,
# default /opt/ml/code/digits_mlp). Other RONDE_* knobs (docs/KNOBS.md) reach the ranks unchanged.
set -uo pipefail

root=${RONDE_SAGEMAKER_ROOT:-/opt/ml}
program=${DIGITS_MLP_PROGRAM:-/opt/ml/code/digits_mlp}
failure_file="$root/output/failure"

# Writes the reason to output/failure (what SageMaker shows as FailureReason) and exits 1.
fail() {
  echo "train.sh: $*" >&2
  mkdir -p "$root/output" && printf '%s\n' "$*" > "$failure_file"
  exit 1
}

case "${1:-train}" in
  train) ;;
  -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
  *) fail "unknown command '$1' (SageMaker runs the image with 'train')" ;;
esac

[ -x "$program" ] || fail "$program is not an executable (set DIGITS_MLP_PROGRAM)"
config="$root/input/config"
[ -f "$config/resourceconfig.json" ] || fail "$config/resourceconfig.json is missing: not a SageMaker training container"
command -v python3 > /dev/null || fail "python3 is needed to read $config/*.json"

# The hosts and this script's hyperparameter, read with Python's json module.
read -r host_count current_host processes < <(python3 - "$config" <<'PYTHON'
import json, os, sys
config = sys.argv[1]
resources = json.load(open(os.path.join(config, "resourceconfig.json")))
hyperparameters = {}
if os.path.exists(os.path.join(config, "hyperparameters.json")):
    hyperparameters = json.load(open(os.path.join(config, "hyperparameters.json")))
print(len(resources.get("hosts", [])), resources.get("current_host", "?"),
      hyperparameters.get("processes_per_host", os.cpu_count()))
PYTHON
) || fail "cannot read $config/resourceconfig.json or hyperparameters.json (malformed JSON?)"
[ "$host_count" = 1 ] ||
  fail "resourceconfig.json lists $host_count hosts; this entry point runs single-host jobs (instance_count=1)"
[[ "$processes" =~ ^[1-9][0-9]*$ ]] ||
  fail "hyperparameter processes_per_host must be a positive integer, got '$processes'"

# Open MPI as root in a container, one host: shared memory between the ranks.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
export OMPI_MCA_btl=${OMPI_MCA_btl:-self,vader}
export RONDE_SAGEMAKER_ROOT="$root"

echo "train.sh: host $current_host, $processes ranks: mpirun -np $processes $program"
rm -f "$failure_file"
mpirun -np "$processes" "$program" &
mpirun_pid=$!

# mpirun itself would pass SIGTERM on only after odls_base_sigkill_timeout and then SIGKILL the
# ranks; sending it straight to them (mpirun's children) gives them the whole grace period.
signalled=0
forward_sigterm() {
  signalled=1
  echo "train.sh: SIGTERM: asking the ranks to checkpoint and stop"
  local children
  children=$(awk -v parent="$mpirun_pid" '$4 == parent { print $1 }' /proc/[0-9]*/stat 2>/dev/null)
  if [ -n "$children" ]; then
    kill -TERM $children 2>/dev/null
  else
    kill -TERM "$mpirun_pid" 2>/dev/null   # no rank started yet
  fi
}
trap forward_sigterm TERM INT

while true; do
  signalled=0
  wait "$mpirun_pid"
  status=$?
  [ "$signalled" = 1 ] || break   # a signal only interrupts wait: wait again for mpirun's status
done

if [ "$status" -ne 0 ]; then
  # digits_mlp writes its error to output/failure; keep that, or say at least how it ended.
  [ -s "$failure_file" ] || fail "digits_mlp under mpirun exited with status $status (see the job's log)"
  exit "$status"
fi
echo "train.sh: done; model in $root/model, checkpoints in $root/checkpoints"

#!/usr/bin/env bash
# SageMaker training entry point for digits_mlp (the image's ENTRYPOINT; SageMaker runs it with
# the argument "train", which is accepted and ignored). SageMaker starts it in the container of
# every host of the job.
#
# It follows the SageMaker training-container layout under $RONDE_SAGEMAKER_ROOT (default /opt/ml):
#   input/config/resourceconfig.json    hosts, current_host, network_interface_name
#   input/config/hyperparameters.json   values are JSON strings; digits_mlp reads every one of them
#                                       as the flag of the same name ("steps": "2000"), except
#                                       "processes_per_host" (ranks per host; default: CPU count),
#                                       which is this script's
#   input/data/train/digits.csv.gz      the data channel "train"
#   checkpoints/                        digits_mlp resumes from and saves to it (SageMaker syncs it
#                                       with the job's CheckpointConfig S3 URI); the hyperparameter
#                                       "checkpoint": "s3://bucket/prefix" writes there directly
#   model/digits_mlp.model              the trained model (SageMaker uploads model/ at the end)
#   output/failure                      why the job failed, when it did (on every host that fails)
#
# One host or many: the LEADER, the first host of `hosts` in sorted order, starts mpirun over all
# hosts with processes_per_host ranks each (Open MPI reaches the other hosts' containers over ssh,
# or through TRAIN_MPIRUN_ARGS' agent); every other host waits until the leader reports how the
# job ended (a line "status N" on TCP port TRAIN_STATUS_PORT, default 7077) and exits with that
# status. A host whose job failed leaves output/failure: the ranks' own reason where they wrote
# one, else what this script knows ("the job failed on leader algo-1 with status 1").
#
# Checkpoints across hosts (docs/CHECKPOINTS.md, "Per-host checkpoint directories"): each host's
# checkpoints/ holds the shards of its own ranks, and the leader's also the manifests. A restarted
# job needs the union of all hosts' files in every host's checkpoints/ — what SageMaker's sync of
# checkpoints/ with one S3 prefix gives each host at start-up.
#
# SIGTERM (SageMaker's stop, or a spot reclaim, sent to every container) is forwarded at once to
# this host's ranks, which agree on a step, save a final checkpoint and exit 0; the next run of
# the job resumes from it.
#
# Environment: RONDE_SAGEMAKER_ROOT (the root, for tests), DIGITS_MLP_PROGRAM (the program,
# default /opt/ml/code/digits_mlp), TRAIN_MPIRUN_ARGS (more mpirun arguments, split into words:
# how to reach the other hosts when not over ssh), TRAIN_STATUS_PORT. RONDE_* knobs (docs/KNOBS.md)
# reach every rank (passed with mpirun -x).
set -uo pipefail

root=${RONDE_SAGEMAKER_ROOT:-/opt/ml}
program=${DIGITS_MLP_PROGRAM:-/opt/ml/code/digits_mlp}
status_port=${TRAIN_STATUS_PORT:-7077}
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
[[ "$status_port" =~ ^[1-9][0-9]*$ ]] || fail "TRAIN_STATUS_PORT='$status_port' is not a port number"

# The hosts (sorted), this host, the interface between hosts and this script's hyperparameter,
# read with Python's json module.
read -r current_host leader interface processes hosts < <(python3 - "$config" <<'PYTHON'
import json, os, sys
config = sys.argv[1]
resources = json.load(open(os.path.join(config, "resourceconfig.json")))
hyperparameters = {}
if os.path.exists(os.path.join(config, "hyperparameters.json")):
    hyperparameters = json.load(open(os.path.join(config, "hyperparameters.json")))
hosts = sorted(resources.get("hosts") or ["?"])
print(resources.get("current_host", "?"), hosts[0], resources.get("network_interface_name", "eth0"),
      hyperparameters.get("processes_per_host", os.cpu_count()), ",".join(hosts))
PYTHON
) || fail "cannot read $config/resourceconfig.json or hyperparameters.json (malformed JSON?)"
IFS=, read -r -a host_list <<< "$hosts"
[[ ",$hosts," == *",$current_host,"* ]] || fail "current_host '$current_host' is not one of the hosts ($hosts)"
[[ "$processes" =~ ^[1-9][0-9]*$ ]] ||
  fail "hyperparameter processes_per_host must be a positive integer, got '$processes'"
[[ "$interface" =~ ^[A-Za-z0-9._-]+$ ]] || fail "network_interface_name '$interface' is not an interface name"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1}
export RONDE_SAGEMAKER_ROOT="$root"
rm -f "$failure_file"

# This host's ranks: processes whose executable is $program, in this container (its network
# namespace: a container's, or an emulated host's).
local_ranks() {
  local my_net executable pid
  my_net=$(readlink /proc/self/ns/net)
  executable=$(readlink -f "$program")
  for pid in $(pgrep -f -- "$program" 2>/dev/null); do
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$executable" ] || continue
    [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "$my_net" ] && echo "$pid"
  done
}

# SIGTERM: straight to this host's ranks, which then have the whole grace period to checkpoint.
# (Sent to mpirun, the signal would reach them only after Open MPI's odls_base_sigkill_timeout,
# followed by SIGKILL as long again later.)
signalled=0
forward_sigterm() {
  signalled=1
  local ranks
  ranks=$(local_ranks | tr '\n' ' ')
  echo "train.sh: SIGTERM on $current_host: asking this host's ranks (pids ${ranks:-none yet}) to checkpoint and stop"
  if [ -n "$ranks" ]; then
    kill -TERM $ranks 2>/dev/null
  elif [ -n "${mpirun_pid:-}" ]; then
    kill -TERM "$mpirun_pid" 2>/dev/null   # no rank started yet
  fi
}
trap forward_sigterm TERM INT

# ---- a host other than the leader: wait for the leader's status --------------------------------
if [ "$current_host" != "$leader" ]; then
  echo "train.sh: host $current_host: the job runs from leader $leader; waiting for its status on port $status_port"
  python3 - "$status_port" > "$root/.leader-status" 2>/dev/null <<'PYTHON' &
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", int(sys.argv[1])))
server.listen(4)
while True:
    connection, _ = server.accept()
    line = connection.makefile().readline().split()
    connection.close()
    if len(line) == 2 and line[0] == "status" and line[1].lstrip("-").isdigit():
        print(line[1])
        break
PYTHON
  waiter=$!
  while true; do
    signalled=0
    wait "$waiter"
    [ "$signalled" = 1 ] || break   # a signal only interrupts wait
  done
  status=$(cat "$root/.leader-status" 2>/dev/null)
  rm -f "$root/.leader-status"
  [[ "$status" =~ ^-?[0-9]+$ ]] || fail "host $current_host: no status came from leader $leader"
  if [ "$status" -ne 0 ]; then
    [ -s "$failure_file" ] || fail "the job failed on leader $leader with status $status (its output/failure says why)"
    exit "$status"
  fi
  echo "train.sh: host $current_host: the job ended well on leader $leader"
  exit 0
fi

# ---- the leader: mpirun over every host ------------------------------------------------------------
hostfile="$root/.hostfile"
for host in "${host_list[@]}"; do echo "$host slots=$processes"; done > "$hostfile"
ranks=$(( ${#host_list[@]} * processes ))
forward=()
while read -r variable; do forward+=(-x "$variable"); done < <(compgen -e | grep -E '^(RONDE_|AWS_)')
read -r -a extra <<< "${TRAIN_MPIRUN_ARGS:-}"
# TCP between hosts on the job's interface, shared memory within one; a daemon whose host goes
# silent is found within ~25 s (docs/CLUSTER.md, "Losing a host"); every connection between ranks
# is made at start-up, so that the SIGTERM of a stop never interrupts a connect() (which fails the
# job in Open MPI's TCP transport).
mpirun_args=(--hostfile "$hostfile" -np "$ranks" --mca pml ob1 --mca btl tcp,vader,self
             --mca btl_tcp_if_include "$interface" --mca oob_tcp_if_include "$interface"
             --mca oob_tcp_keepalive_time 10 --mca oob_tcp_keepalive_intvl 5 --mca oob_tcp_keepalive_probes 3
             --mca mpi_preconnect_mpi 1 "${forward[@]}" "${extra[@]}")
[ ${#host_list[@]} -gt 1 ] || mpirun_args=(-np "$ranks" --mca btl self,vader "${forward[@]}" "${extra[@]}")
echo "train.sh: leader $current_host, ${#host_list[@]} host(s) x $processes ranks: mpirun ${mpirun_args[*]} $program"
mpirun "${mpirun_args[@]}" "$program" &
mpirun_pid=$!
while true; do
  signalled=0
  wait "$mpirun_pid"
  status=$?
  [ "$signalled" = 1 ] || break   # a signal only interrupts wait: wait again for mpirun's status
done

# Every other host learns how the job ended (each is listening; retried while it starts up).
for host in "${host_list[@]}"; do
  [ "$host" = "$current_host" ] && continue
  python3 - "$host" "$status_port" "$status" <<'PYTHON' || echo "train.sh: could not tell $host the job's status" >&2
import socket, sys, time
for attempt in range(300):
    try:
        with socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2) as connection:
            connection.sendall(f"status {sys.argv[3]}\n".encode())
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PYTHON
done

if [ "$status" -ne 0 ]; then
  # digits_mlp writes its error to output/failure; keep that, or say at least how it ended.
  [ -s "$failure_file" ] || fail "digits_mlp under mpirun exited with status $status (see the job's log)"
  exit "$status"
fi
echo "train.sh: done; model in $root/model, checkpoints in $root/checkpoints"

#!/usr/bin/env bash
# The multi-host part of run_local.sh (run_local.sh --hosts N starts it inside `cluster.sh with N
# --slots 2 --private /opt/ml`): train.sh on every emulated host, as SageMaker starts the entry
# point in every container. The steps are in run_local.sh's header.
#
#   multi_host_check.sh DIGITS_MLP DIGITS_CSV_GZ HOSTS KEEP
set -euo pipefail
program=${1:?usage: multi_host_check.sh DIGITS_MLP DIGITS_CSV_GZ HOSTS KEEP}
data=${2:?} hosts=${3:?} keep=${4:-0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${RONDE_CLUSTER_SH:?run inside scripts/cluster.sh with N --private /opt/ml -- ...}"
cluster=$RONDE_CLUSTER_SH
work=$(mktemp -d /tmp/ronde-sagemaker-hosts.XXXXXX)
source "$here/../../scripts/moto.sh"
cleanup() {
  moto_stop
  if [ "$keep" = 1 ]; then echo "multi_host_check: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "run_local.sh --hosts $hosts: FAILED: $*" >&2; exit 1; }
unset RONDE_SAGEMAKER_ROOT   # every host's own /opt/ml
host_names=()
for ((i = 1; i <= hosts; i++)); do host_names+=("h$i"); done
tree() { "$cluster" private "$1" /opt/ml; }

# write_trees HYPERPARAMETERS_JSON: every host's /opt/ml, as SageMaker prepares the containers.
write_trees() {
  local host list
  list=$(printf '"%s",' "${host_names[@]}")
  for host in "${host_names[@]}"; do
    local root; root=$(tree "$host")
    mkdir -p "$root/input/config" "$root/input/data/train" "$root/model" "$root/output" "$root/checkpoints"
    echo "{\"current_host\": \"$host\", \"hosts\": [${list%,}], \"network_interface_name\": \"eth0\"}" \
      > "$root/input/config/resourceconfig.json"
    echo "$1" > "$root/input/config/hyperparameters.json"
    cp "$data" "$root/input/data/train/"
    echo '{"train": {"TrainingInputMode": "File"}}' > "$root/input/config/inputdataconfig.json"
  done
}

# start_job NAME: train.sh on every host (the leader reaches the others through the cluster's rsh
# agent instead of ssh); PIDS[i] is host i's train.sh.
PIDS=()
start_job() {
  local host
  PIDS=()
  for host in "${host_names[@]}"; do
    # `cluster.sh exec` ends in an exec of train.sh: this pid is train.sh's, as PID 1 of a container.
    "$cluster" exec "$host" -- env DIGITS_MLP_PROGRAM="$program" \
      TRAIN_MPIRUN_ARGS="--mca plm_rsh_agent /run/ronde-cluster/$RONDE_CLUSTER/agent --mca plm_rsh_no_tree_spawn 1 --bind-to none --mca mpi_yield_when_idle 1" \
      "$here/train.sh" train > "$work/$1-$host.log" 2>&1 < /dev/null &
    PIDS+=($!)
  done
}
# wait_job: every host's exit status into STATUSES, "h1=0 h2=0 ..." (not in a subshell: only
# this shell can wait for its children).
STATUSES=""
wait_job() {
  local i status
  STATUSES=""
  for i in "${!PIDS[@]}"; do
    status=0
    wait "${PIDS[$i]}" || status=$?
    STATUSES+="${STATUSES:+ }${host_names[$i]}=$status"
  done
}
show() { echo "--- $1 (leader ${host_names[0]})"; grep -vE '^step ' "$work/$1-${host_names[0]}.log" | tail -12; }
all_zero() { [[ ! "$1" =~ =[1-9] ]]; }

echo "== 1. $hosts hosts x 2 ranks: training, SIGTERM to every host once a checkpoint exists"
write_trees '{"steps": "3000", "checkpoint_every": "100", "log_every": "1000", "processes_per_host": "2"}'
leader_root=$(tree h1)
start_job first
for _ in $(seq 600); do compgen -G "$leader_root/checkpoints/ckpt-*/manifest.json" >/dev/null && break; sleep 0.05; done
compgen -G "$leader_root/checkpoints/ckpt-*/manifest.json" >/dev/null || { show first; fail "no checkpoint appeared on the leader"; }
kill -TERM "${PIDS[@]}"
wait_job
show first
echo "exit statuses after SIGTERM: $STATUSES"
all_zero "$STATUSES" || fail "a host did not exit 0 after SIGTERM ($STATUSES)"
stopped_at=$(sed -n 's/^interrupted: stopped at step \([0-9]*\).*/\1/p' "$work/first-h1.log")
[ -n "$stopped_at" ] || fail "the job was not interrupted (see $work/first-h1.log)"
for host in "${host_names[@]:1}"; do
  [ -z "$(find "$(tree "$host")/checkpoints" -name manifest.json)" ] || fail "$host holds a manifest (only the leader writes them)"
  [ -n "$(find "$(tree "$host")/checkpoints" -name 'rank-*.shard')" ] || fail "$host holds no shard of its ranks"
done

echo "== 2. the union of every host's checkpoints/ on every host, and the job again"
mkdir -p "$work/union"
for host in "${host_names[@]}"; do cp -a "$(tree "$host")/checkpoints/." "$work/union/"; done
for host in "${host_names[@]}"; do cp -a "$work/union/." "$(tree "$host")/checkpoints/"; done
start_job second
wait_job
show second
all_zero "$STATUSES" || fail "the resumed job failed ($STATUSES)"
grep -q "^resumed from step $stopped_at " "$work/second-h1.log" || fail "the job did not resume from step $stopped_at"
grep -q '^finished 3000 steps' "$work/second-h1.log" || fail "the resumed job did not finish"
[ -s "$leader_root/model/digits_mlp.model" ] || fail "no model in the leader's /opt/ml/model"
for host in "${host_names[@]}"; do [ ! -e "$(tree "$host")/output/failure" ] || fail "$host wrote output/failure"; done

echo "== 3. checkpoints straight to s3:// (moto_server on the cluster's bridge)"
moto=0
moto_start "$("$cluster" addr bridge)" "$work/moto.log" job || moto=$?
if [ "$moto" -eq 0 ]; then
  write_trees '{"steps": "400", "checkpoint_every": "100", "log_every": "400", "processes_per_host": "2", "checkpoint": "s3://job/run"}'
  start_job s3
  wait_job
  show s3
  all_zero "$STATUSES" || fail "the job checkpointing to s3:// failed ($STATUSES)"
  listing=$(aws --endpoint-url "$AWS_ENDPOINT_URL" s3 ls --recursive s3://job/run/)
  grep -q 'manifest.json' <<< "$listing" || fail "no checkpoint manifest in s3://job/run"
  start_job s3-again
  wait_job
  all_zero "$STATUSES" || fail "the job resuming from s3:// failed ($STATUSES)"
  grep -q '^resumed from step 400 ' "$work/s3-again-h1.log" || fail "the job did not resume from s3://job/run"
  moto_stop
elif [ "$moto" -eq 1 ]; then
  echo "moto_server or aws missing: part 3 not run"
else
  fail "moto_server did not start (see $work/moto.log)"
fi

echo "== 4. a failing job leaves output/failure on every host"
write_trees '{"steps": "many", "processes_per_host": "2"}'
start_job failing
wait_job
show failing
[[ ! "$STATUSES" =~ =0( |$) ]] || fail "a host exited 0 although the job failed ($STATUSES)"
for host in "${host_names[@]}"; do
  [ -s "$(tree "$host")/output/failure" ] || fail "$host has no output/failure"
  echo "$host output/failure: $(head -c 200 "$(tree "$host")/output/failure")"
done
echo "run_local.sh --hosts $hosts: all checks passed"

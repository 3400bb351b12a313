#!/usr/bin/env bash
# Runs the SageMaker entry point train.sh WITHOUT Docker, against temporary /opt/ml-shaped trees
# (RONDE_SAGEMAKER_ROOT points ronde and train.sh at them), and checks what a job leaves behind:
#   1. a short training job: the model in model/, checkpoints in checkpoints/, no failure file;
#   2. the same job started again: it resumes from checkpoints/ (as a restarted spot job would);
#   3. a job without the "train" data channel: it fails, and output/failure says why.
# With --hosts N, a job of N hosts on an emulated cluster (scripts/cluster.sh, needs root), every
# host with its own /opt/ml and its own train.sh, as SageMaker runs them:
#   1. training, SIGTERM to every host's train.sh once a checkpoint exists: the ranks save a final
#      checkpoint and every host exits 0;
#   2. every host's checkpoints/ gets the union of all hosts' files (what SageMaker's sync with one
#      S3 prefix gives a restarted job), and the job runs again: it resumes from that final
#      checkpoint and finishes;
#   3. checkpoints written straight to s3:// (a moto_server the hosts reach over their links);
#   4. a job that fails leaves output/failure on every host.
#
#   examples/sagemaker/run_local.sh [--build-dir DIR] [--keep] [--hosts N]
#
#   --build-dir DIR   where digits_mlp was built (default: $RONDE_BUILD_DIR or build)
#   --keep            keep the temporary trees and print where they are
#   --hosts N         N >= 2: the multi-host job above (exit 77 where no cluster can be made)
#
# Exit status 0 when every check passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/env.sh"
build=${RONDE_BUILD_DIR:-build}
keep=0
hosts=1
on_cluster=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --hosts) hosts=$2; shift 2 ;;
    --on-cluster) on_cluster=1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) echo "run_local.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$build" in /*) ;; *) build="$RONDE_ROOT/$build" ;; esac
program="$build/examples/digits_mlp/digits_mlp"
data=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
[ -x "$program" ] || { echo "run_local.sh: $program not built (cmake --build $build --target digits_mlp)" >&2; exit 1; }
[ -f "$data" ] || { echo "run_local.sh: $data missing (apt-get install python3-sklearn)" >&2; exit 1; }

[[ "$hosts" =~ ^[1-9][0-9]?$ ]] || { echo "run_local.sh: --hosts wants 1..99, got '$hosts'" >&2; exit 2; }
if [ "$hosts" -gt 1 ]; then
  if [ "$on_cluster" = 0 ]; then
    # Each host its own /opt/ml, 2 ranks per host; the cluster goes away however this ends.
    exec "$RONDE_ROOT/scripts/cluster.sh" with "$hosts" --slots 2 --private /opt/ml --timeout 600 -- \
      "$0" --hosts "$hosts" --build-dir "$build" --on-cluster $([ "$keep" = 1 ] && echo --keep)
  fi
  exec "$here/multi_host_check.sh" "$program" "$data" "$hosts" "$keep"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-sagemaker.XXXXXX")
cleanup() { if [ "$keep" = 1 ]; then echo "run_local.sh: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

fail() { echo "run_local.sh: FAILED: $*" >&2; exit 1; }

# make_tree ROOT [CHANNEL]: the files SageMaker puts in a training container; with CHANNEL, the
# data channel of that name holding digits.csv.gz.
make_tree() {
  local root=$1 channel=${2:-}
  mkdir -p "$root/input/config" "$root/model" "$root/output" "$root/checkpoints"
  cat > "$root/input/config/resourceconfig.json" <<JSON
{"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}
JSON
  cat > "$root/input/config/hyperparameters.json" <<JSON
{"steps": "300", "checkpoint_every": "100", "log_every": "100", "processes_per_host": "2"}
JSON
  if [ -n "$channel" ]; then
    mkdir -p "$root/input/data/$channel"
    cp "$data" "$root/input/data/$channel/"
    echo "{\"$channel\": {\"TrainingInputMode\": \"File\", \"S3DistributionType\": \"FullyReplicated\"}}" \
      > "$root/input/config/inputdataconfig.json"
  else
    echo '{}' > "$root/input/config/inputdataconfig.json"
  fi
}

run_job() {  # run_job ROOT LOG
  RONDE_SAGEMAKER_ROOT=$1 DIGITS_MLP_PROGRAM=$program "$here/train.sh" train > "$2" 2>&1
}

echo "== 1. training job in $work/ok"
make_tree "$work/ok" train
run_job "$work/ok" "$work/ok.log" || { cat "$work/ok.log"; fail "the job failed"; }
cat "$work/ok.log"
[ -s "$work/ok/model/digits_mlp.model" ] || fail "no model in $work/ok/model"
compgen -G "$work/ok/checkpoints/ckpt-*/manifest.json" > /dev/null || fail "no checkpoint in $work/ok/checkpoints"
[ ! -e "$work/ok/output/failure" ] || fail "a successful job wrote output/failure: $(cat "$work/ok/output/failure")"
echo "ok: model $(stat -c %s "$work/ok/model/digits_mlp.model") bytes, checkpoints:" \
  $(cd "$work/ok/checkpoints" && ls -d ckpt-*)

echo "== 2. the same job again: resumes from checkpoints/"
run_job "$work/ok" "$work/again.log" || { cat "$work/again.log"; fail "the restarted job failed"; }
grep '^resumed from step 300' "$work/again.log" || { cat "$work/again.log"; fail "the restarted job did not resume"; }

echo "== 3. a job without the train channel must fail with a reason in output/failure"
make_tree "$work/no-data"
if run_job "$work/no-data" "$work/no-data.log"; then
  cat "$work/no-data.log"
  fail "the job without data succeeded"
fi
[ -s "$work/no-data/output/failure" ] || { cat "$work/no-data.log"; fail "output/failure is missing or empty"; }
echo "ok: output/failure says: $(cat "$work/no-data/output/failure")"
echo "run_local.sh: all checks passed"

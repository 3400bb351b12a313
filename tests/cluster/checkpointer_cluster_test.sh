#!/usr/bin/env bash
# The Checkpointer across hosts (run inside `cluster.sh with 2 --slots 2 --private /var/ronde-ckpt`):
#  1. S3: a moto_server on the machine, listening on the cluster's bridge address (the hosts reach
#     it over their links, as a job reaches S3): 4 ranks on 2 hosts save asynchronously, 4 ranks
#     restore every value exactly, then 2 ranks (one per host) restore the replicated state — a
#     job restarted at another world size.
#  2. Per-host local directories: /var/ronde-ckpt is each host's own (like /opt/ml/checkpoints in a
#     training container). Each host writes its ranks' shards there and h1 also the manifest. A
#     platform that syncs those directories to one place gives every host the union of all hosts'
#     files at restart; copying them here does the same, and the restores must then be exact.
#
#   checkpointer_cluster_test.sh CKPT_CLUSTER_JOB
set -euo pipefail
job=${1:?usage: checkpointer_cluster_test.sh CKPT_CLUSTER_JOB}
: "${RONDE_CLUSTER_SH:?run inside scripts/cluster.sh with 2 --slots 2 --private /var/ronde-ckpt -- ...}"
cluster=$RONDE_CLUSTER_SH
work=$(mktemp -d /tmp/ronde-ckpt-cluster.XXXXXX)
source "$(dirname "$0")/../../scripts/moto.sh"
cleanup() { moto_stop; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
export RONDE_CLUSTER_QUIET=1

echo "== 1. S3 (moto_server on the bridge address)"
moto=0
moto_start "$("$cluster" addr bridge)" "$work/moto.log" cluster || moto=$?
if [ "$moto" -eq 0 ]; then
  "$cluster" mpirun -np 4 "$job" save s3://cluster/run 8 || fail "save to S3 across hosts"
  "$cluster" mpirun -np 4 "$job" restore s3://cluster/run 8 || fail "restore from S3 across hosts"
  "$cluster" mpirun -np 2 --host h1,h2 "$job" restore-replicated s3://cluster/run 8 || fail "restore at 2 ranks"
  moto_stop
elif [ "$moto" -eq 1 ]; then
  echo "moto_server or aws missing: S3 part not run" >&2
else
  fail "moto_server did not start (see $work/moto.log)"
fi

echo "== 2. per-host local directories, then the union of all hosts' files on every host"
uri=file:///var/ronde-ckpt/run
"$cluster" mpirun -np 4 "$job" save "$uri" 8 || fail "save to per-host directories"
h1=$("$cluster" private h1 /var/ronde-ckpt) h2=$("$cluster" private h2 /var/ronde-ckpt)
[ -n "$(find "$h1/run" -name manifest.json)" ] || fail "h1 holds no manifest"
[ -z "$(find "$h2/run" -name manifest.json)" ] || fail "h2 holds a manifest (only rank 0 writes it)"
[ -n "$(find "$h2/run" -name 'rank-00002-*')" ] || fail "h2 holds no shard of its ranks"
# The platform's sync: every host starts with the union.
cp -a "$h1/run/." "$work/union/" 2>/dev/null || { mkdir -p "$work/union"; cp -a "$h1/run/." "$work/union/"; }
cp -a "$h2/run/." "$work/union/"
cp -a "$work/union/." "$h1/run/"
cp -a "$work/union/." "$h2/run/"
"$cluster" mpirun -np 4 "$job" restore "$uri" 8 || fail "restore from per-host directories holding the union"
"$cluster" mpirun -np 2 --host h1,h2 "$job" restore-replicated "$uri" 8 || fail "restore at 2 ranks from the union"
echo "checkpointer_cluster_test: ok"

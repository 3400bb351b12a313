#!/usr/bin/env bash
# digits_mlp across the hosts of an emulated cluster (run inside `cluster.sh with`): an
# uninterrupted run, then the demo's job — SIGTERM to mpirun once the first checkpoint exists, a
# final checkpoint, the same command again — which must resume from that final checkpoint, reach
# the accuracy bar and end with a model equal, byte for byte, to the uninterrupted run's.
# The checkpoint directory is on the machine's file system, which every emulated host sees (like
# NFS on real hosts).
#
#   digits_mlp_cluster_test.sh DIGITS_MLP SOURCE_DIR RANKS
set -euo pipefail
program=${1:?usage: digits_mlp_cluster_test.sh DIGITS_MLP SOURCE_DIR RANKS}
source_dir=${2:?usage: digits_mlp_cluster_test.sh DIGITS_MLP SOURCE_DIR RANKS}
ranks=${3:?usage: digits_mlp_cluster_test.sh DIGITS_MLP SOURCE_DIR RANKS}
: "${RONDE_CLUSTER_SH:?run inside scripts/cluster.sh with N -- ...}"
work=$(mktemp -d /tmp/ronde-digits-cluster.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }
export RONDE_CLUSTER_QUIET=1

echo "== uninterrupted, $ranks ranks across hosts"
"$RONDE_CLUSTER_SH" mpirun -np "$ranks" "$program" --checkpoint "$work/reference" \
  --model-out "$work/reference.model" > "$work/reference.log" 2>&1 || { cat "$work/reference.log"; fail "the reference run failed"; }
grep -q '^finished ' "$work/reference.log" || { cat "$work/reference.log"; fail "the reference run did not finish"; }

echo "== interrupted by SIGTERM after the first checkpoint, restarted"
"$source_dir/examples/digits_mlp/interrupted_run.sh" "$program" "$work/demo" -np "$ranks" \
  --mpirun "$RONDE_CLUSTER_SH mpirun"
cmp "$work/reference.model" "$work/demo/model.bin" || fail "the resumed model differs from the uninterrupted one"
echo "digits_mlp_cluster_test: ok (resumed bit for bit across hosts)"

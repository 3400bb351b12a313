#!/usr/bin/env bash
# The parameter server across hosts (run inside `cluster.sh with 4`): two ronde-ps-server shards on
# h1 and h2 (sync mode, sums, mutual TLS and a token, checkpoints every 5 steps in a directory of
# each server's own), two workers on h3 and h4 under mpirun. Every pulled value must be exact
# (ps_cluster_worker checks each step). Midway the server on h2 is killed with SIGKILL and started
# again on h2 from its checkpoint; the workers carry on (their clients replay what the checkpoint
# lacks) and every later value must still be exact: each push applied exactly once.
#
#   ps_cluster_test.sh RONDE_PS_SERVER PS_CLUSTER_WORKER SOURCE_DIR
set -euo pipefail
server_bin=${1:?usage: ps_cluster_test.sh RONDE_PS_SERVER PS_CLUSTER_WORKER SOURCE_DIR}
worker_bin=${2:?usage: ps_cluster_test.sh RONDE_PS_SERVER PS_CLUSTER_WORKER SOURCE_DIR}
source_dir=${3:?usage: ps_cluster_test.sh RONDE_PS_SERVER PS_CLUSTER_WORKER SOURCE_DIR}
: "${RONDE_CLUSTER_SH:?run inside scripts/cluster.sh with 4 -- ...}"
cluster=$RONDE_CLUSTER_SH
work=$(mktemp -d /tmp/ronde-ps-cluster.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*" >&2; for log in "$work"/*.log; do echo "--- $log" >&2; tail -20 "$log" >&2; done; exit 1; }
export RONDE_CLUSTER_QUIET=1 GRPC_VERBOSITY=NONE

"$source_dir/examples/ps_training/make_certs.sh" "$work/certs" h1 h2 >/dev/null

# start_server HOST SHARD: ronde-ps-server on HOST's address, port 7070, shard SHARD of 2.
start_server() {
  local host=$1 shard=$2
  rm -f "$work/port-$shard"
  "$cluster" spawn "$host" "$work/server-$shard-$(date +%s%N).log" -- "$server_bin" \
    --listen "$("$cluster" addr "$host"):7070" --port-file "$work/port-$shard" --shard "$shard" --shards 2 \
    --workers 2 --mode sync --aggregate sum --optimizer sum \
    --tls mutual --cert "$work/certs/server.pem" --key "$work/certs/server.key" --ca "$work/certs/ca.pem" \
    --token-file "$work/certs/token" --checkpoint "file://$work/checkpoints-$host" --checkpoint-every-steps 5 \
    --log-level warn >/dev/null
  for _ in $(seq 200); do [ -s "$work/port-$shard" ] && return 0; sleep 0.05; done
  fail "the server on $host did not start"
}
start_server h1 0
start_server h2 1

export RONDE_PS_SERVERS=h1:7070,h2:7070 RONDE_PS_TLS=mutual RONDE_PS_CA="$work/certs/ca.pem" \
       RONDE_PS_CERT="$work/certs/worker.pem" RONDE_PS_KEY="$work/certs/worker.key" \
       RONDE_PS_TOKEN_FILE="$work/certs/token"
"$cluster" mpirun -np 2 --host h3,h4 "$worker_bin" --steps 40 --step-delay-ms 100 \
  --progress-file "$work/progress" > "$work/workers.log" 2>&1 &
workers=$!

# Midway: SIGKILL the server on h2 (no final checkpoint), start it again on h2 a moment later.
for _ in $(seq 600); do [ "$(cat "$work/progress" 2>/dev/null || echo 0)" -ge 12 ] && break; sleep 0.05; done
[ "$(cat "$work/progress" 2>/dev/null || echo 0)" -ge 12 ] || { kill "$workers" 2>/dev/null; fail "the workers made no progress"; }
"$cluster" kill h2 KILL
killed_at=$(cat "$work/progress")
sleep 1
start_server h2 1
echo "ps_cluster_test: server on h2 killed after step $killed_at and restarted"

status=0
wait "$workers" || status=$?
[ "$status" -eq 0 ] || fail "the workers failed (exit $status)"
[ "$(grep -c 'every pulled value exact' "$work/workers.log")" -eq 2 ] || fail "not every worker finished exact"
grep -h "restored\|restore" "$work"/server-1-*.log | head -3 || true
cat "$work/workers.log"
echo "ps_cluster_test: ok (sync sums exact across hosts, exactly once across a server restart)"

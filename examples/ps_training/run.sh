#!/usr/bin/env bash
# The digits model trained through ronde's parameter servers: 2 ronde-ps-server processes (sync
# mode, Adam on the servers, mutual TLS and a bearer token with certificates this script makes)
# and 3 workers under mpirun. Prints the workers' progress and the test accuracy, stops the
# servers with SIGTERM (their graceful shutdown) and exits non-zero below the accuracy bar.
#
#   examples/ps_training/run.sh [--build-dir DIR] [--steps N] [--min-accuracy X]
#
#   --build-dir DIR     where ronde is built (default build; needs ps_worker and ronde-ps-server)
#   --steps N           training steps (default 600)
#   --min-accuracy X    the bar (default 0.95)
#   --keep              keep the work directory (certificates, server logs) and print its path
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/scripts/env.sh"

build="$root/build"
steps=600
min_accuracy=0.95
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) build=$(cd "$2" && pwd); shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --min-accuracy) min_accuracy=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
server_bin="$build/tools/ronde-ps-server/ronde-ps-server"
worker_bin="$build/examples/ps_training/ps_worker"
for binary in "$server_bin" "$worker_bin"; do
  [ -x "$binary" ] || { echo "run.sh: $binary is missing: cmake --build $build --target ronde-ps-server ps_worker" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-ps-training-XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$keep" -eq 1 ]; then echo "run.sh: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

"$here/make_certs.sh" "$work/certs" >/dev/null
export GRPC_VERBOSITY=${GRPC_VERBOSITY:-NONE}

# Two servers, shard 0 and 1 of 2, each on a free port it writes to a file.
servers=()
for shard in 0 1; do
  "$server_bin" --listen 127.0.0.1:0 --port-file "$work/port-$shard" --shard "$shard" --shards 2 --workers 3 \
    --mode sync --optimizer adam --opt lr=0.005 \
    --tls mutual --cert "$work/certs/server.pem" --key "$work/certs/server.key" --ca "$work/certs/ca.pem" \
    --token-file "$work/certs/token" >"$work/server-$shard.log" 2>&1 &
  pids+=($!)
done
for shard in 0 1; do
  for _ in $(seq 200); do [ -s "$work/port-$shard" ] && break; sleep 0.05; done
  [ -s "$work/port-$shard" ] || { echo "run.sh: server $shard did not start:" >&2; cat "$work/server-$shard.log" >&2; exit 1; }
  servers+=("127.0.0.1:$(cat "$work/port-$shard")")
done
echo "run.sh: servers ${servers[*]} (mutual TLS, token), 3 workers"

export RONDE_PS_SERVERS
RONDE_PS_SERVERS=$(IFS=,; echo "${servers[*]}")
export RONDE_PS_TLS=mutual RONDE_PS_CA="$work/certs/ca.pem" RONDE_PS_CERT="$work/certs/worker.pem" \
       RONDE_PS_KEY="$work/certs/worker.key" RONDE_PS_TOKEN_FILE="$work/certs/token"
mpirun -np 3 "$worker_bin" --steps "$steps" | tee "$work/workers.log"

accuracy=$(sed -n 's/^test accuracy \([0-9.]*\) .*/\1/p' "$work/workers.log")
[ -n "$accuracy" ] || { echo "run.sh: the workers printed no accuracy" >&2; exit 1; }
awk -v a="$accuracy" -v bar="$min_accuracy" 'BEGIN { exit !(a >= bar) }' ||
  { echo "run.sh: test accuracy $accuracy is below $min_accuracy" >&2; exit 1; }
echo "run.sh: test accuracy $accuracy >= $min_accuracy"

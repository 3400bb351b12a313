#!/usr/bin/env bash
# A lost rank under mpirun: peer_watch_test lost with N ranks (rank 1 stopped). Passes when every
# other rank printed that it saw rank 1 lost, named, in time ("ok"), and the job ended (mpirun is
# bounded by `timeout`). Extra arguments go before the program (e.g. cluster.sh mpirun settings).
#
#   peer_watch_test.sh PEER_WATCH_TEST RANKS [LAUNCHER...]   (default launcher: mpirun)
set -euo pipefail
program=${1:?usage: peer_watch_test.sh PEER_WATCH_TEST RANKS [LAUNCHER...]}
ranks=${2:?usage: peer_watch_test.sh PEER_WATCH_TEST RANKS [LAUNCHER...]}
shift 2
launcher=("$@")
[ ${#launcher[@]} -gt 0 ] || launcher=(mpirun)
export RONDE_PEER_TIMEOUT_S=${RONDE_PEER_TIMEOUT_S:-2}
log=$(mktemp "${TMPDIR:-/tmp}/peer-watch.XXXXXX")
trap 'rm -f "$log"' EXIT
start=$SECONDS
status=0
timeout --kill-after=5 60 "${launcher[@]}" -np "$ranks" "$program" lost > "$log" 2>&1 || status=$?
cat "$log"
[ "$status" -ne 124 ] && [ "$status" -ne 137 ] || { echo "FAILED: the job did not end within 60 s"; exit 1; }
[ "$status" -ne 0 ] || { echo "FAILED: the job exited 0 after losing a rank"; exit 1; }
seen=$(grep -c '^peer_watch_test: rank [0-9]*: lost rank seen after .* (Unavailable, ok)' "$log" || true)
[ "$seen" -eq $((ranks - 1)) ] || { echo "FAILED: $seen of $((ranks - 1)) ranks reported the lost rank correctly"; exit 1; }
logged=$(grep -cE '^\[ronde [0-9]+/[0-9]+ .*ERROR\] rank 1 \(.*\) is lost' "$log" || true)
[ "$logged" -ge $((ranks - 1)) ] || { echo "FAILED: $logged of $((ranks - 1)) ranks logged the lost rank"; exit 1; }
echo "peer_watch_test: every surviving rank named the lost rank; the job ended in $((SECONDS - start)) s with status $status"

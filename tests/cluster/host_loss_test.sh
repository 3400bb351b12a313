#!/usr/bin/env bash
# Losing a host in the middle of training (run inside `cluster.sh with 2 --slots 2`): digits_mlp
# on 4 ranks, 2 per host, checkpointing every 100 steps. Once a checkpoint exists:
#   kill: every rank on h2 gets SIGKILL (Open MPI's daemon there sees them die);
#   link: h2's link goes down (the host is alive but unreachable; Open MPI's keepalive on its
#         daemon's connection, set by cluster.sh mpirun, finds it);
#   stop: every rank on h2 gets SIGSTOP (a hung host whose daemon still answers: only ronde's
#         peer watch can tell, and every rank on h1 must fail naming ranks 2 and 3 on h2).
# Each time the job must end within BOUND seconds, with a non-zero status and an error naming the
# lost host (and, where the launcher or ronde can tell, the rank); never a hang, never status 0.
# Then the same command is started again on the whole cluster: it must resume from the last
# checkpoint and end with a model equal, byte for byte, to an uninterrupted run's.
#
#   host_loss_test.sh DIGITS_MLP kill|link|stop [BOUND]
set -euo pipefail
program=${1:?usage: host_loss_test.sh DIGITS_MLP kill|link|stop [BOUND]}
mode=${2:?usage: host_loss_test.sh DIGITS_MLP kill|link|stop [BOUND]}
bound=${3:-60}
: "${RONDE_CLUSTER_SH:?run inside scripts/cluster.sh with 2 --slots 2 -- ...}"
cluster=$RONDE_CLUSTER_SH
work=$(mktemp -d /tmp/ronde-host-loss.XXXXXX)
trap '"$cluster" link h2 up 2>/dev/null || true; rm -rf "$work"' EXIT
fail() { echo "FAILED: $*" >&2; [ -f "$work/lost.log" ] && grep -v '^step' "$work/lost.log" | tail -40 >&2; exit 1; }
export RONDE_CLUSTER_QUIET=1
h2_address=$("$cluster" addr h2)
job=("$cluster" mpirun -np 4 "$program" --steps 1500 --log-every 1000)

echo "== uninterrupted reference"
"${job[@]}" --checkpoint "$work/reference" --model-out "$work/reference.model" > "$work/reference.log" 2>&1 ||
  { cat "$work/reference.log"; fail "the reference run failed"; }

echo "== $mode: h2 lost once the first checkpoint exists"
"${job[@]}" --checkpoint "$work/ckpt" --model-out "$work/resumed.model" > "$work/lost.log" 2>&1 &
job_pid=$!
for _ in $(seq 600); do
  compgen -G "$work/ckpt/ckpt-*/manifest.json" >/dev/null && break
  kill -0 "$job_pid" 2>/dev/null || fail "the job ended before its first checkpoint"
  sleep 0.05
done
sleep 0.3
lost_at=$EPOCHREALTIME
case "$mode" in
  kill) "$cluster" kill h2 KILL "$program" ;;
  link) "$cluster" link h2 down ;;
  stop) "$cluster" kill h2 STOP "$program" ;;
  *) fail "mode '$mode' is not kill, link or stop" ;;
esac
status=0
timeout --kill-after=5 $((bound + 30)) tail --pid="$job_pid" -f /dev/null || true
if kill -0 "$job_pid" 2>/dev/null; then
  kill -KILL "$job_pid" 2>/dev/null || true
  fail "the job was still running $((bound + 30)) s after losing h2 (a hang)"
fi
wait "$job_pid" || status=$?
ended=$(awk -v a="$lost_at" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "host_loss_test: the job ended ${ended} s after h2 was lost, with status $status"
[ "$status" -ne 0 ] || fail "the job ended with status 0 after losing h2"
awk -v t="$ended" -v b="$bound" 'BEGIN { exit !(t <= b) }' || fail "the job took ${ended} s to end (bound ${bound} s)"
# Who said what: ronde's peer watch names ranks and hosts ("rank 2 (h2) is lost"), Open MPI names
# the rank and the node's address when a process dies, or the node when its daemon goes silent.
grep -v '^step' "$work/lost.log" | grep -E "rank [23] \(h2\) is lost|process rank [23] .* on node $h2_address|lost communication with a remote daemon|on node $h2_address" |
  head -4 | cut -c1-220 || true
grep -qE "rank [23] \(h2\) is lost|on node $h2_address|node $h2_address" "$work/lost.log" ||
  fail "no error named the lost host h2 ($h2_address)"
if [ "$mode" = stop ]; then
  for rank in 0 1; do
    grep -qE "^\[ronde $rank/4 h1 ERROR\] rank [23] \(h2\) is lost" "$work/lost.log" ||
      fail "rank $rank on h1 did not report the ranks of h2 lost"
  done
fi

echo "== the same command again, on the whole cluster"
"$cluster" status | awk 'NR > 1 {print "   ", $1, $4, "processes left"}'
if [ "$mode" = link ]; then
  "$cluster" link h2 up
  # Back once h1 reaches it again (a refused connection proves the path).
  for _ in $(seq 100); do
    "$cluster" exec h1 -- python3 -c "import socket,sys
try: socket.create_connection(('h2', 9), timeout=1)
except ConnectionRefusedError: sys.exit(0)
except OSError: sys.exit(1)" && break
    sleep 0.2
  done
fi
"$cluster" kill h2 KILL >/dev/null 2>&1 || true   # whatever was left on h2 while it was cut off
status=0
timeout --kill-after=5 120 "${job[@]}" --checkpoint "$work/ckpt" --model-out "$work/resumed.model" > "$work/resume.log" 2>&1 ||
  status=$?
[ "$status" -eq 0 ] || { grep -v '^step' "$work/resume.log" | tail -30; fail "the restarted job failed (status $status)"; }
grep -E '^resumed from step [0-9]+' "$work/resume.log" || fail "the restarted job did not resume from a checkpoint"
cmp "$work/reference.model" "$work/resumed.model" || fail "the resumed model differs from the uninterrupted one"
echo "host_loss_test: ok ($mode: ended in ${ended} s, resumed bit for bit)"

#!/usr/bin/env bash
# Crash safety of the Checkpointer: a job (crash_saver, 2 ranks as threads) that checkpoints after
# every step is killed with SIGKILL at random moments — mid-snapshot, mid-upload, mid-commit,
# mid-retention — and restarted, KILLS times, then run to the end. Every restart must restore a
# step no earlier than the previous restart's (committed work is never lost), with exactly that
# step's values (crash_saver exits 3 otherwise), and at the end every committed checkpoint must
# verify (ronde-ckpt verify --all). The seed makes the kill times reproducible.
set -uo pipefail
saver=${1:?usage: crash_test.sh PATH/TO/crash_saver PATH/TO/ronde-ckpt [KILLS] [SEED]}
tool=${2:?usage: crash_test.sh PATH/TO/crash_saver PATH/TO/ronde-ckpt [KILLS] [SEED]}
kills=${3:-8}
RANDOM=${4:-7}
work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-crash-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
root="file://$work/run"
last_step=400

previous=0
for ((kill = 1; kill <= kills; ++kill)); do
  "$saver" "$root" 2 "$last_step" >"$work/out" 2>&1 &
  pid=$!
  sleep "0.$((100 + RANDOM % 800))"
  kill -KILL "$pid" 2>/dev/null
  { wait "$pid"; } 2>/dev/null
  status=$?
  first=$(head -1 "$work/out")
  case "$first" in
    fresh) resumed=0 ;;
    "resumed "*) resumed=${first#resumed } ;;
    "") resumed=$previous ;;   # killed before it printed: nothing to check this round
    *) echo "FAIL: start $kill printed '$first'"; cat "$work/out"; exit 1 ;;
  esac
  if [ "$status" -ne 137 ]; then   # 400 steps take far longer than the kill delay
    echo "FAIL: start $kill exited $status instead of being killed:"; cat "$work/out"; exit 1
  fi
  if [ "$resumed" -lt "$previous" ]; then
    echo "FAIL: start $kill resumed from step $resumed, earlier than step $previous restored before"; exit 1
  fi
  echo "start $kill: resumed from step $resumed, killed after $(($(wc -l <"$work/out"))) line(s)"
  previous=$resumed
done

"$saver" "$root" 2 "$last_step" >"$work/out" 2>&1 || { echo "FAIL: the final run failed:"; cat "$work/out"; exit 1; }
grep -q "^done $last_step$" "$work/out" || { echo "FAIL: the final run did not finish:"; cat "$work/out"; exit 1; }
echo "final run: $(head -1 "$work/out"), then done"
"$tool" verify --all "$root" >"$work/verify" 2>&1 || { echo "FAIL: verify --all:"; cat "$work/verify"; exit 1; }
"$tool" checkpoints "$root" | tail -1
echo "crash test: all checks passed"

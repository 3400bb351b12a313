#!/usr/bin/env bash
# Spot-style training: digits_mlp is interrupted at random steps, several times with SIGTERM (an
# instance being reclaimed: every process of the job gets it; the ranks save a final checkpoint)
# and with SIGKILL (once, twice from 5 interruptions on: no final save, so the job resumes from its
# last periodic checkpoint), and
# restarted each time until it finishes. The final model must equal, byte for byte, the model of
# an uninterrupted run with the same flags.
#
#   examples/spot_resume/spot_resume.sh [options]
#
#   --storage dir|s3     checkpoints in a temporary directory (default), or in a bucket of a local
#                        moto_server that the script starts and stops
#   --seed N             seed of the interruption schedule: the steps at which they come and
#                        which ones are SIGKILLs (default 1)
#   --interruptions N    how many (default 4: 3 x SIGTERM, 1 x SIGKILL; from 5 on, 2 are SIGKILLs)
#   -np N                ranks (default 4)
#   --steps N            training steps (default 2000, digits_mlp's default)
#   --build-dir DIR      where digits_mlp was built (default $RONDE_BUILD_DIR or build)
#   --keep               keep the temporary directory (logs, checkpoints, models)
#   --help               this text
#
# Exit status: 0 when the resumed model equals the uninterrupted one; 1 otherwise; 77 when
# --storage s3 is asked for and moto_server is not installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../../scripts/env.sh"

storage=dir seed=1 interruptions=4 ranks=4 steps=2000 keep=0
build=${RONDE_BUILD_DIR:-build}
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }
die() { echo "spot_resume: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --storage) storage=${2:-}; shift 2 ;;
    --seed) seed=${2:-}; shift 2 ;;
    --interruptions) interruptions=${2:-}; shift 2 ;;
    -np|--np) ranks=${2:-}; shift 2 ;;
    --steps) steps=${2:-}; shift 2 ;;
    --build-dir) build=${2:-}; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "spot_resume: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$storage" in dir|s3) ;; *) die "--storage is dir or s3, not '$storage'" ;; esac
for value in "$seed" "$interruptions" "$ranks" "$steps"; do
  [[ "$value" =~ ^[0-9]+$ ]] || die "expected a number, got '$value' (see --help)"
done
[ "$interruptions" -ge 1 ] || die "--interruptions must be at least 1"
case "$build" in /*) ;; *) build="$RONDE_ROOT/$build" ;; esac
program="$build/examples/digits_mlp/digits_mlp"
[ -x "$program" ] || die "$program not built (cmake --build ${build#"$RONDE_ROOT"/} --target digits_mlp)"
if [ "$storage" = s3 ] && ! command -v moto_server > /dev/null; then
  echo "spot_resume: --storage s3 needs moto_server (pip install 'moto[server]'); skipped" >&2
  exit 77
fi

# ---- cleanup on every exit path ---------------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-spot-resume.XXXXXX")
job_sid=""    # session of the running mpirun (its ranks are in their own process groups)
moto_sid=""

session_pids() { ps -o pid= --sid "$1" 2>/dev/null || true; }
# kill_session SIGNAL SID: the signal to every process of the session.
kill_session() { local pids; pids=$(session_pids "$2"); [ -z "$pids" ] || kill "-$1" $pids 2>/dev/null || true; }
# stop_session SID: SIGKILL everything in it and wait until it is gone.
stop_session() {
  local sid=$1
  [ -n "$sid" ] || return 0
  kill_session KILL "$sid"
  wait "$sid" 2> /dev/null || true   # reap the leader (our child) without bash's "Killed" notice
  for _ in $(seq 100); do [ -z "$(session_pids "$sid")" ] && return 0; sleep 0.05; done
  echo "spot_resume: processes of session $sid survived SIGKILL" >&2
}
cleanup() {
  stop_session "$job_sid"
  stop_session "$moto_sid"
  if [ "$keep" = 1 ]; then echo "spot_resume: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- storage ----------------------------------------------------------------------------------
if [ "$storage" = s3 ]; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  setsid moto_server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
  moto_sid=$!   # setsid made it a session leader
  for _ in $(seq 200); do (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null && break; sleep 0.05; done
  (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null || die "moto_server did not listen on port $port (see $work/moto.log)"
  # moto accepts any credentials; ronde and the AWS CLI both read these variables.
  export AWS_ACCESS_KEY_ID=spot-resume AWS_SECRET_ACCESS_KEY=spot-resume AWS_DEFAULT_REGION=us-east-1
  export AWS_EC2_METADATA_DISABLED=true AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  aws --endpoint-url "$AWS_ENDPOINT_URL" s3 mb s3://spot-resume > /dev/null || die "cannot create the bucket"
  checkpoints=s3://spot-resume/digits
  where="$checkpoints on moto_server at $AWS_ENDPOINT_URL"
else
  checkpoints="$work/checkpoints"
  where="$checkpoints"
fi
# Progress lines every 10 steps let the script see how far a run is (they change no result).
flags=(--steps "$steps" --checkpoint-every 100 --log-every 10)

echo "spot_resume: $ranks ranks, $steps steps, checkpoints in $where, seed $seed"

# ---- the uninterrupted reference --------------------------------------------------------------
reference_start=$EPOCHREALTIME
mpirun -np "$ranks" "$program" "${flags[@]}" --checkpoint "$work/reference-checkpoints" \
  --model-out "$work/reference.model" > "$work/reference.log" 2>&1 || { cat "$work/reference.log"; die "the reference run failed"; }
reference_seconds=$(awk -v a="$reference_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
echo "reference: uninterrupted run in $reference_seconds s; $(grep -o 'test accuracy.*' "$work/reference.log")"

# ---- the schedule -----------------------------------------------------------------------------
# Interruption k (of n) comes at a random step of the k-th of n+1 equal parts of the run, whatever
# the machine's speed; the last part is left to finish. One of them, at random, is a SIGKILL (two,
# half the schedule apart, from 5 interruptions on).
RANDOM=$seed
targets=()
for ((k = 0; k < interruptions; k++)); do
  targets+=("$(awk -v s="$steps" -v k="$k" -v n="$interruptions" -v r="$RANDOM" \
    'BEGIN { printf "%d", s * (k + 0.2 + 0.6 * r / 32767) / (n + 1) }')")
done
kill_index=$((RANDOM % interruptions))
second_kill_index=-1
[ "$interruptions" -ge 5 ] && second_kill_index=$(((kill_index + interruptions / 2) % interruptions))

# The step of a run's latest progress line (0 before the first, or before its log exists).
latest_step() { sed -n 's/^step *\([0-9]*\)\/.*/\1/p' "$1" 2> /dev/null | tail -n 1 | grep . || echo 0; }

# ---- the interrupted runs ---------------------------------------------------------------------
resumed_steps=()
attempt=0 sent=0
while true; do
  attempt=$((attempt + 1))
  [ "$attempt" -le $((interruptions + 3)) ] || die "still not finished after $attempt attempts"
  log="$work/attempt-$attempt.log"
  setsid mpirun -np "$ranks" "$program" "${flags[@]}" --checkpoint "$checkpoints" --model-out "$work/resumed.model" \
    > "$log" 2>&1 &
  job_sid=$!   # setsid made mpirun a session leader; the ranks are in that session
  line="attempt $attempt:"

  signal="" at=""
  if [ "$sent" -lt "$interruptions" ]; then
    target=${targets[$sent]}
    while kill -0 "$job_sid" 2> /dev/null && [ "$(latest_step "$log")" -lt "$target" ]; do sleep 0.02; done
    if kill -0 "$job_sid" 2> /dev/null && ! grep -q '^finished' "$log"; then
      signal=TERM
      { [ "$sent" -eq "$kill_index" ] || [ "$sent" -eq "$second_kill_index" ]; } && signal=KILL
      at=$(latest_step "$log")
      kill_session "$signal" "$job_sid"
      sent=$((sent + 1))
    fi
  fi
  status=0
  wait "$job_sid" 2> /dev/null || status=$?   # (2>: no "Killed" notice from bash)
  stop_session "$job_sid"   # after SIGKILL: make sure no rank outlived mpirun
  job_sid=""

  resumed=$(sed -n 's/^resumed from step \([0-9]*\).*/\1/p' "$log")
  if [ -n "$resumed" ]; then
    resumed_steps+=("$resumed")
    line+=" resumed from step $resumed;"
  elif [ "$attempt" -gt 1 ]; then
    line+=" no checkpoint yet, started over;"
  fi
  if grep -q '^finished' "$log"; then
    echo "$line finished"
    break
  elif [ "$signal" = TERM ] && grep -q '^interrupted: stopped at step' "$log"; then
    echo "$line SIGTERM at step $at -> stopped at step $(sed -n 's/^interrupted: stopped at step \([0-9]*\).*/\1/p' "$log") with a final checkpoint"
  elif [ "$signal" = KILL ]; then
    echo "$line SIGKILL at step $at -> killed, no final checkpoint"
  else
    cat "$log"
    die "attempt $attempt ended (status $status) without finishing${signal:+ or reporting a final checkpoint after SIGTERM}"
  fi
done

[ "$sent" -eq "$interruptions" ] ||
  echo "spot_resume: warning: only $sent of $interruptions interruptions happened before the run finished"
[ "${#resumed_steps[@]}" -gt 0 ] || die "the run never resumed from a checkpoint (too short to interrupt?)"
echo "resumed at steps: ${resumed_steps[*]}"
if [ -x "$build/tools/ronde-ckpt/ronde-ckpt" ]; then
  echo "checkpoints kept (ronde-ckpt checkpoints $checkpoints):"
  "$build/tools/ronde-ckpt/ronde-ckpt" checkpoints "$checkpoints" | sed 's/^/  /'
fi
if cmp "$work/reference.model" "$work/resumed.model"; then
  echo "spot_resume: ok: the final model is identical to the uninterrupted run's ($(stat -c %s "$work/resumed.model") bytes)"
else
  die "the final model differs from the uninterrupted run's"
fi

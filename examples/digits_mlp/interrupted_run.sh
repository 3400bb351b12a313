#!/usr/bin/env bash
# The job scripts/demo.sh runs (and tests/examples checks): digits_mlp under mpirun, checkpointing
# to RUN_DIR/checkpoints, interrupted once with SIGTERM sent to mpirun as soon as the first
# checkpoint exists, then restarted with the same command until it finishes; ends with a summary.
#
#   examples/digits_mlp/interrupted_run.sh PROGRAM RUN_DIR [-np N] [--min-accuracy X]
#                                          [--mpirun COMMAND] [-- FLAGS...]
#
#   PROGRAM             the digits_mlp binary
#   RUN_DIR             created; receives checkpoints/, run1.log, run2.log and model.bin
#   -np N               ranks (default 4)
#   --min-accuracy X    test accuracy in percent the run must reach (default 95)
#   --mpirun COMMAND    the launcher, split into words (default "mpirun"; across the hosts of an
#                       emulated cluster: "scripts/cluster.sh mpirun")
#   -- FLAGS            passed to digits_mlp
#
# Exit status 0 when the second run resumed from the first run's final checkpoint, finished, and
# reached the test accuracy.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/env.sh"

die() { echo "interrupted_run: $*" >&2; exit 1; }
[ $# -ge 2 ] || { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2; }
program=$1 run_dir=$2
shift 2
ranks=4 min_accuracy=95
launcher=(mpirun)
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    -np|--np) [ $# -ge 2 ] || die "$1 needs a number"; ranks=$2; shift 2 ;;
    --min-accuracy) [ $# -ge 2 ] || die "$1 needs a number"; min_accuracy=$2; shift 2 ;;
    --mpirun) [ $# -ge 2 ] || die "$1 needs a command"; read -r -a launcher <<< "$2"; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    *) die "unknown argument '$1'" ;;
  esac
done
[ -x "$program" ] || die "$program is not an executable"
[[ "$ranks" =~ ^[1-9][0-9]*$ ]] || die "-np wants a positive number, got '$ranks'"

mkdir -p "$run_dir"
command=("${launcher[@]}" -np "$ranks" "$program" --checkpoint "$run_dir/checkpoints" --model-out "$run_dir/model.bin"
         "${flags[@]}")
echo "interrupted_run: ${command[*]}"

# The first run in the background, so that it can be interrupted; its output is shown as it comes.
# A checkpoint exists once its manifest.json does (docs/CHECKPOINT_FORMAT.md).
start=$EPOCHREALTIME
"${command[@]}" > "$run_dir/run1.log" 2>&1 &
mpirun_pid=$!
trap 'kill -TERM "$mpirun_pid" 2>/dev/null || true' EXIT
tail -n +1 -f --pid="$mpirun_pid" "$run_dir/run1.log" &
until compgen -G "$run_dir/checkpoints/ckpt-*/manifest.json" > /dev/null; do
  kill -0 "$mpirun_pid" 2>/dev/null || break
  sleep 0.05
done
# mpirun answers SIGTERM like a scheduler stopping a job: it forwards SIGTERM to every rank after
# Open MPI's odls_base_sigkill_timeout (1 s by default) and SIGKILLs them as long again later.
# The ranks agree on a step, save a final checkpoint and exit within that time.
if kill -TERM "$mpirun_pid" 2>/dev/null; then
  echo "interrupted_run: the first checkpoint exists; SIGTERM sent to mpirun (pid $mpirun_pid)"
fi
wait "$mpirun_pid" || true   # mpirun exits non-zero after a SIGTERM, even when every rank saved
wait                         # the tail
trap - EXIT
grep -q '^interrupted: stopped at step' "$run_dir/run1.log" ||
  die "the first run was not interrupted (it finished first, or failed); see $run_dir/run1.log"

echo
echo "interrupted_run: restarting the same command"
"${command[@]}" 2>&1 | tee "$run_dir/run2.log"
seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

interrupted_at=$(sed -n 's/^interrupted: stopped at step \([0-9]*\).*/\1/p' "$run_dir/run1.log")
resumed_from=$(sed -n 's/^resumed from step \([0-9]*\).*/\1/p' "$run_dir/run2.log")
steps=$(sed -n 's/^finished \([0-9]*\) steps.*/\1/p' "$run_dir/run2.log")
accuracy=$(sed -n 's/^finished .*test accuracy \([0-9.]*\)%.*/\1/p' "$run_dir/run2.log")

echo
echo "summary"
printf '  %-16s %s\n' \
  "ranks" "$ranks" \
  "steps" "${steps:-(the second run did not finish; see $run_dir/run2.log)}" \
  "interrupted" "by SIGTERM at step $interrupted_at, after a final checkpoint" \
  "resumed from" "step ${resumed_from:-(none)}" \
  "test accuracy" "${accuracy:-?}% (required: $min_accuracy%)" \
  "wall time" "$seconds s (both runs)" \
  "run directory" "$run_dir (checkpoints/, run1.log, run2.log, model.bin)"

[ -n "$resumed_from" ] || die "the second run did not resume from a checkpoint"
[ "$resumed_from" = "$interrupted_at" ] || die "resumed from step $resumed_from, not from the final checkpoint at $interrupted_at"
[ -n "$accuracy" ] || die "the second run did not finish"
awk -v a="$accuracy" -v m="$min_accuracy" 'BEGIN { exit !(a >= m) }' || die "test accuracy $accuracy% is below $min_accuracy%"

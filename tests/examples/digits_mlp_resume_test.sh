#!/usr/bin/env bash
# Resumed training is bit-identical to uninterrupted training (2 ranks):
#   1. a run that dies abruptly at step 130 (--stop-after-step: no final save), restarted, resumes
#      from the periodic checkpoint at step 100;
#   2. the demo's job (examples/digits_mlp/interrupted_run.sh: SIGTERM to mpirun after the first
#      checkpoint, restart) resumes from its final checkpoint;
# and both end with a model equal, byte for byte, to the uninterrupted run's.
#
#   digits_mlp_resume_test.sh DIGITS_MLP SOURCE_DIR
set -euo pipefail
program=${1:?usage: digits_mlp_resume_test.sh DIGITS_MLP SOURCE_DIR}
source_dir=${2:?usage: digits_mlp_resume_test.sh DIGITS_MLP SOURCE_DIR}
source "$source_dir/scripts/env.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-digits-resume.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }

echo "== 1. killed at step 130 without saving, restarted"
short=(--steps 300 --checkpoint-every 50 --log-every 300)
mpirun -np 2 "$program" "${short[@]}" --checkpoint "$work/reference" --model-out "$work/reference.model" > /dev/null
status=0
mpirun -np 2 "$program" "${short[@]}" --checkpoint "$work/killed" --stop-after-step 130 > "$work/killed.log" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "the run stopped at step 130 exited with status 0"
grep -q '^--stop-after-step 130' "$work/killed.log" || { cat "$work/killed.log"; fail "the run did not stop at step 130"; }
mpirun -np 2 "$program" "${short[@]}" --checkpoint "$work/killed" --model-out "$work/killed.model" | tee "$work/restart.log"
grep -q '^resumed from step 100 ' "$work/restart.log" || fail "the restart did not resume from step 100"
cmp "$work/reference.model" "$work/killed.model" || fail "the resumed model differs from the uninterrupted one"

echo "== 2. the demo's job: SIGTERM to mpirun after the first checkpoint, restarted"
# Long enough (digits_mlp's 2000 default steps) for mpirun's forwarding delay of 1 s.
mpirun -np 2 "$program" --checkpoint "$work/reference-full" --model-out "$work/reference-full.model" > /dev/null
"$source_dir/examples/digits_mlp/interrupted_run.sh" "$program" "$work/demo" -np 2
cmp "$work/reference-full.model" "$work/demo/model.bin" || fail "the demo's resumed model differs from the uninterrupted one"
echo "digits_mlp_resume_test: ok"

#!/usr/bin/env bash
# digits_mlp on 2 ranks, short: it trains (the progress lines, a test accuracy above a bound a
# short run reaches), checkpoints, and reports bad flags and missing data clearly.
#
#   digits_mlp_test.sh DIGITS_MLP
set -euo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
program=${1:?usage: digits_mlp_test.sh DIGITS_MLP}
work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-digits-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*" >&2; exit 1; }

echo "== --help documents every flag"
"$program" --help > "$work/help.txt"
for flag in steps batch hidden lr min-lr warmup weight-decay seed data checkpoint checkpoint-every keep-last \
            log-every model-out stop-after-step help; do
  grep -q -- "--$flag " "$work/help.txt" || fail "--help does not mention --$flag"
done

echo "== a short run on 2 ranks"
mpirun -np 2 "$program" --steps 300 --checkpoint-every 100 --log-every 100 --checkpoint "$work/ckpt" \
  --model-out "$work/model.bin" | tee "$work/run.log"
grep -q '^step   100/300  loss ' "$work/run.log" || fail "no progress line at step 100"
accuracy=$(sed -n 's/^finished 300 steps: test accuracy \([0-9.]*\)%.*/\1/p' "$work/run.log")
[ -n "$accuracy" ] || fail "no final test accuracy"
awk -v a="$accuracy" 'BEGIN { exit !(a >= 90) }' || fail "test accuracy $accuracy% after 300 steps, expected >= 90%"
# header line + fc1.w (128x64) + fc1.b (128) + fc2.w (10x128) + fc2.b (10) float32
header=$(head -n 1 "$work/model.bin")
[ "$header" = "digits_mlp model v1 hidden=128" ] || fail "model header is '$header'"
size=$(stat -c %s "$work/model.bin")
[ "$size" -eq $(( ${#header} + 1 + 4 * (128 * 64 + 128 + 10 * 128 + 10) )) ] || fail "model file has $size bytes"
for step in 100 200 300; do
  compgen -G "$work/ckpt/ckpt-000000000$step-*/manifest.json" > /dev/null || fail "no checkpoint at step $step"
done

echo "== a finished run started again resumes at its end and trains no further"
mpirun -np 2 "$program" --steps 300 --checkpoint-every 100 --log-every 100 --checkpoint "$work/ckpt" | tee "$work/again.log"
grep -q '^resumed from step 300 ' "$work/again.log" || fail "the second start did not resume from step 300"
grep -q '^step ' "$work/again.log" && fail "the second start trained again"

echo "== other flags than the checkpoint's are refused, naming them"
status=0
"$program" --steps 300 --lr 0.01 --checkpoint "$work/ckpt" 2> "$work/other.err" || status=$?
[ "$status" -eq 1 ] || fail "resuming with another --lr exited with $status, expected 1"
grep -q -- "--lr 0.005 (now 0.01)" "$work/other.err" || { cat "$work/other.err"; fail "the error does not name --lr"; }

echo "== usage errors exit 2 and name the flag"
status=0
"$program" --steps many 2> "$work/usage.err" || status=$?
[ "$status" -eq 2 ] || fail "--steps many exited with $status, expected 2"
grep -q -- "--steps: expected an integer" "$work/usage.err" || fail "the usage error does not name --steps"

echo "== missing data names the path and the package"
status=0
"$program" --data "$work/none.csv.gz" --checkpoint "$work/ckpt2" 2> "$work/data.err" || status=$?
[ "$status" -eq 1 ] || fail "missing data exited with $status, expected 1"
grep -q "$work/none.csv.gz" "$work/data.err" && grep -q "python3-sklearn" "$work/data.err" ||
  { cat "$work/data.err"; fail "the error does not name the path and the package"; }
echo "digits_mlp_test: ok"

#!/usr/bin/env bash
# examples/libtorch_ddp on 2 ranks: a short run reaches a usable accuracy; a run stopped at step
# 80 (its last checkpoint) and started again with 120 steps resumes from step 80 and finishes.
set -uo pipefail
program=${1:?usage: libtorch_ddp_test.sh PATH/TO/libtorch_ddp}
work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-libtorch-ddp-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; sed 's/^/    /' "$work/out"; exit 1; }
run() { mpirun -np 2 "$program" --checkpoint "file://$work/$1" --checkpoint-every 40 --log-every 40 --steps "$2" >"$work/out" 2>&1; }

run full 200 || fail "the 200-step run failed"
accuracy=$(sed -n 's/^test accuracy \([0-9.]*\) after 200 steps$/\1/p' "$work/out")
[ -n "$accuracy" ] || fail "no accuracy line"
awk -v a="$accuracy" 'BEGIN { exit !(a >= 0.90) }' || fail "test accuracy $accuracy < 0.90"
echo "200 steps: test accuracy $accuracy"

run resumed 80 || fail "the 80-step run failed"
run resumed 120 || fail "the resumed run failed"
grep -q "^resumed from step 80 " "$work/out" || fail "the second run did not resume from step 80"
grep -q "^test accuracy [0-9.]* after 120 steps$" "$work/out" || fail "the resumed run did not finish"
echo "resumed from step 80 and finished 120 steps"
"$program" --help | grep -q -- "--checkpoint URI" || { echo "FAIL: --help"; exit 1; }
echo "libtorch_ddp: all checks passed"

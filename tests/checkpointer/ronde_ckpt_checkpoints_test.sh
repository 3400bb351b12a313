#!/usr/bin/env bash
# ronde-ckpt's checkpoint verbs (checkpoints, inspect, verify, prune) on real checkpoints saved by the
# Checkpointer (make_test_checkpoints, 2 ranks as threads) under a file:// root: the listing with an
# incomplete prefix, the manifest printout, verification of sound checkpoints, then one flipped
# shard byte and one truncated shard, which verify must name with exit status 6 (docs/STORAGE.md);
# finally prune's retention on a fresh root.
set -uo pipefail
tool=${1:?usage: ronde_ckpt_checkpoints_test.sh PATH/TO/ronde-ckpt PATH/TO/make_test_checkpoints}
make_checkpoints=${2:?usage: ronde_ckpt_checkpoints_test.sh PATH/TO/ronde-ckpt PATH/TO/make_test_checkpoints}
work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-ckpt-checkpoints-test-XXXXXX")
trap 'rm -rf "$work"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect CODE COMMAND...: runs the command, checks its exit status, keeps its output in $work/out.
expect() {
  local want=$1; shift
  "$@" >"$work/out" 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || { fail "'$*' exited $got, expected $want"; sed 's/^/    /' "$work/out"; }
}
contains() { grep -qE -- "$1" "$work/out" || { fail "output lacks /$1/"; sed 's/^/    /' "$work/out"; }; }
lacks() { ! grep -qE -- "$1" "$work/out" || { fail "output has /$1/"; sed 's/^/    /' "$work/out"; }; }

# ---- help and usage ----
expect 0 "$tool" --help;                 contains "checkpoints URI"; contains "6  verify"
expect 0 "$tool" checkpoints --help;     contains "usage: ronde-ckpt checkpoints"; contains "incomplete"
expect 0 "$tool" help inspect;           contains "usage: ronde-ckpt inspect"
expect 0 "$tool" verify --help;          contains "usage: ronde-ckpt verify"; contains "6 at least one"
expect 2 "$tool" verify;                 contains "expected one URI"
expect 2 "$tool" inspect --step x "$work";  contains "--step needs a step"
expect 2 "$tool" inspect --step;         contains "--step needs a value"
expect 2 "$tool" verify --all --step 5 "$work"; contains "exclude each other"

# ---- real checkpoints: steps 5 and 10 by 2 ranks, and the debris of an unfinished save ----
root="$work/run"
"$make_checkpoints" "file://$root" 2 5 10 || { echo "FAIL: make_test_checkpoints"; exit 1; }
mkdir -p "$root/ckpt-000000000012-deadbeef"
printf 'partial' >"$root/ckpt-000000000012-deadbeef/rank-00000-000.shard"
ckpt5=$(basename "$root"/ckpt-000000000005-*)
ckpt10=$(basename "$root"/ckpt-000000000010-*)

expect 3 "$tool" checkpoints "$work/nothing-here"
expect 0 "$tool" checkpoints "file://$root"
contains "^ +12  ckpt-000000000012-deadbeef .* incomplete$"
contains "^ +10  $ckpt10  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z +2 +4 +4056  committed$"
contains "^ +5  $ckpt5 .* committed$"
contains "total: 3 checkpoints, 2 committed"
# newest first: 12, 10, 5
[ "$(grep -oE 'ckpt-0+[0-9]+' "$work/out" | tr '\n' ' ')" = "ckpt-000000000012 ckpt-000000000010 ckpt-000000000005 " ] ||
  fail "checkpoints are not listed newest first"

expect 0 "$tool" inspect "$root"                  # the newest committed one
contains "^checkpoint +$ckpt10$"; contains "^world size +2$"
contains "^  w +f32 +\[1000\] +4000 +[0-9]+$"; contains "^  b +f64 +\[3\] +24 +1$"
contains "per-rank tensors of rank 1: 1"; contains "^  pos +i64 +\[2\] +16 +1$"
contains "^  adamw: 1 tensors$"; contains "^    step = 10$"; contains "data.position = 100"
contains 'user: \{"arch":"toy"\}'; contains "rank-00001-000.shard +1 +[0-9]+ +xxh3:[0-9a-f]{16}"
expect 0 "$tool" inspect --step 5 --pieces "file://$root"
contains "^checkpoint +$ckpt5$"; contains "data.position = 50"; contains "rank-0000[01]-000.shard @[0-9]+ \+[0-9]+ -> tensor byte"
expect 0 "$tool" inspect --json "$root/$ckpt5"     # a URI naming one checkpoint
contains '"format": "ronde-checkpoint"'; contains "\"checkpoint\": \"$ckpt5\""
expect 3 "$tool" inspect --step 7 "$root";        contains "no committed checkpoint of step 7"
expect 3 "$tool" inspect "$root/ckpt-000000000012-deadbeef"; contains "incomplete"
expect 2 "$tool" inspect --step 10 "$root/$ckpt5"; contains "does not match"

expect 0 "$tool" verify "$root";                  contains "^$ckpt10  OK  \(4 shards, 4056 bytes\)$"
expect 0 "$tool" verify --step 5 "$root";         contains "^$ckpt5  OK"
expect 0 "$tool" verify --all "$root"
contains "ckpt-000000000012-deadbeef  skipped: incomplete"; contains "^$ckpt10  OK"; contains "^$ckpt5  OK"
expect 3 "$tool" verify --step 11 "$root"

# ---- latest and list ----
expect 0 "$tool" latest --help;                   contains "usage: ronde-ckpt latest"
expect 3 "$tool" latest "$work/nothing-here"
expect 0 "$tool" latest "$root";                  contains "^file://.*/run/$ckpt10$"
expect 0 "$tool" latest --step "$root";           contains "^10$"
expect 0 "$tool" list "$root";                    contains "total: 3 checkpoints, 2 committed"

# ---- corruption: one byte of a shard of step 5 flipped, a shard of step 10 truncated ----
shard="$root/$ckpt5/rank-00001-000.shard"
byte=$(od -An -tu1 -j 100 -N 1 "$shard" | tr -d ' ')
printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$shard" bs=1 seek=100 conv=notrunc status=none
expect 6 "$tool" verify --step 5 "$root"
contains "^$ckpt5  INVALID$"
contains "shard 'rank-00001-000.shard' \(file://.*/$ckpt5/rank-00001-000.shard\) has checksum xxh3:[0-9a-f]{16}, the manifest records xxh3:[0-9a-f]{16}"
lacks "rank-00000-000.shard"
contains "1 of 1 checkpoints under .* are invalid"
expect 0 "$tool" verify "$root"                   # the newest is still sound
expect 6 "$tool" verify --all "$root";            contains "^$ckpt10  OK"; contains "^$ckpt5  INVALID"
truncate -s 10 "$root/$ckpt10/rank-00000-001.shard"
rm "$root/$ckpt10/rank-00001-001.shard"
expect 6 "$tool" verify "$root/$ckpt10"
contains "shard 'rank-00000-001.shard' .* has 10 bytes, the manifest records 16"
contains "shard 'rank-00001-001.shard' .* is missing"
expect 6 "$tool" verify --all "$root";            contains "2 of 2 checkpoints"
# a manifest that does not parse: invalid for verify, listed as unreadable, a failure for inspect
printf '{"format": "ronde-checkpoint"' >"$root/$ckpt5/manifest.json"
expect 6 "$tool" verify --step 5 "$root";         contains "$ckpt5: manifest: .*manifest.json"
expect 0 "$tool" checkpoints "$root";             contains "^ +5  $ckpt5 .* unreadable$"
expect 1 "$tool" inspect --step 5 "$root";        contains "Corrupt"

# ---- prune: the retention rules by hand, on a fresh root with steps 5, 10, 15, 20 and debris ----
expect 0 "$tool" prune --help;                    contains "usage: ronde-ckpt prune"; contains "--dry-run"
expect 2 "$tool" prune "$work/pruned";            contains "--keep-last N"
expect 2 "$tool" prune --keep-last x "$work/pruned"; contains "needs a count"
pruned="$work/pruned"
"$make_checkpoints" "file://$pruned" 2 5 10 15 20 || { echo "FAIL: make_test_checkpoints"; exit 1; }
for step in 12 25; do   # an unfinished save before the newest (debris) and one after it (in flight)
  mkdir -p "$pruned/ckpt-0000000000$step-deadbeef"; printf 'partial' >"$pruned/ckpt-0000000000$step-deadbeef/rank-00000-000.shard"
done
expect 3 "$tool" prune --keep-last 1 "$work/nothing-here"
expect 2 "$tool" prune --keep-last 1 "$pruned/$(basename "$pruned"/ckpt-000000000005-*)"; contains "not one checkpoint"
expect 0 "$tool" prune --keep-last 1 --keep-every 10 --dry-run "$pruned"
contains "would remove ckpt-000000000005-[0-9a-f]+  step 5  committed"; contains "would remove ckpt-000000000012-deadbeef  step 12  incomplete"
contains "would remove ckpt-000000000015-"; lacks "remove ckpt-0+(10|20|25)-"; contains "newest kept: ckpt-000000000020-"
contains "would remove 3 checkpoint prefixes"
expect 0 "$tool" checkpoints "$pruned";           contains "total: 6 checkpoints, 4 committed"
expect 0 "$tool" prune --keep-last 1 --keep-every 10 "$pruned"; contains "removed 3 checkpoint prefixes"
expect 0 "$tool" checkpoints "$pruned";           contains "total: 3 checkpoints, 2 committed"
contains "^ +20  ckpt-000000000020-.* committed$"; contains "^ +10  ckpt-000000000010-.* committed$"; contains "^ +25 .* incomplete$"
expect 0 "$tool" verify --all "$pruned"
expect 0 "$tool" prune --keep-last 1 "$pruned";   contains "removed 1 checkpoint prefixes"   # 10 goes now
expect 0 "$tool" checkpoints "$pruned";           contains "total: 2 checkpoints, 1 committed"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "ronde-ckpt checkpoint verbs: all checks passed"

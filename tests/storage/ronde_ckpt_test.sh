#!/usr/bin/env bash
# ronde-ckpt against local files and file:// URIs: help texts, the ls/cp/rm round trip with
# byte-exact content, and the documented exit codes (docs/STORAGE.md).
set -uo pipefail
tool=${1:?usage: ronde_ckpt_test.sh PATH/TO/ronde-ckpt}
work=$(mktemp -d "${TMPDIR:-/tmp}/ronde-ckpt-test-XXXXXX")
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
contains() { grep -qF -- "$1" "$work/out" || { fail "output lacks '$1'"; sed 's/^/    /' "$work/out"; }; }

# ---- help and usage ----
expect 0 "$tool" --help;          contains "Exit status"; contains "cp SRC DST"
expect 0 "$tool" help cp;         contains "--no-clobber"
expect 0 "$tool" ls --help;       contains "usage: ronde-ckpt ls"
expect 0 "$tool" rm --help;       contains "--prefix"
expect 2 "$tool";                 contains "usage:"
expect 2 "$tool" frobnicate;      contains "unknown verb"
expect 2 "$tool" cp only-one;     contains "expected SRC and DST"
expect 2 "$tool" ls --bogus x;    contains "unknown option '--bogus'"
expect 2 "$tool" ls gs://bucket/x; contains "unknown scheme"

# ---- a round trip through a file:// store ----
head -c 3000000 /dev/urandom >"$work/big.bin"
printf 'small' >"$work/small.txt"
: >"$work/empty"
store="file://$work/store"
expect 0 "$tool" cp "$work/big.bin" "$store/run/step-1/big.bin"
expect 0 "$tool" cp "$work/small.txt" "$store/run/step-1/"        # into a "directory"
expect 0 "$tool" cp --progress "$work/empty" "$store/run/step-2/empty"
contains "empty"
cmp "$work/big.bin" "$work/store/run/step-1/big.bin" || fail "upload changed the bytes"

expect 0 "$tool" ls "$store/run/";              contains "DIR  step-1/"; contains "total: 3 objects, 3000005 bytes"
expect 0 "$tool" ls -r "$store/run";            contains "3000000  step-1/big.bin"; contains "step-1/small.txt"
expect 0 "$tool" ls -r "$store/ru";             contains "3000000  run/step-1/big.bin"   # a prefix, not a directory
expect 0 "$tool" ls "$store/run/step-1/big.bin"; contains "3000000  big.bin"
expect 3 "$tool" ls "$store/run/nothing-here"

# download and store-to-store copies, byte-exact
expect 0 "$tool" cp "$store/run/step-1/big.bin" "$work/down.bin"
cmp "$work/big.bin" "$work/down.bin" || fail "download changed the bytes"
expect 0 "$tool" cp -r "$store/run" "file://$work/copy/"
cmp "$work/big.bin" "$work/copy/step-1/big.bin" || fail "recursive copy changed the bytes"
cmp "$work/empty" "$work/copy/step-2/empty" || fail "recursive copy changed the empty file"
mkdir -p "$work/dir"
expect 0 "$tool" cp "$work/copy/step-1/small.txt" "$work/dir"   # an existing directory
cmp "$work/small.txt" "$work/dir/small.txt" || fail "copy into a directory"

# exit codes scripts rely on
expect 3 "$tool" cp "$store/run/missing" "$work/x";  contains "NotFound"
expect 3 "$tool" cp "$work/missing" "$store/x"
[ ! -e "$work/x" ] || fail "a failed copy left a file"
expect 4 "$tool" cp --no-clobber "$work/small.txt" "$store/run/step-1/big.bin"; contains "AlreadyExists"
cmp "$work/big.bin" "$work/store/run/step-1/big.bin" || fail "--no-clobber replaced the object"
expect 2 "$tool" cp "$work/dir" "$store/x";          contains "use -r"

# removal
expect 0 "$tool" rm "$store/run/step-1/small.txt"
expect 3 "$tool" rm "$store/run/step-1/small.txt";   contains "no such object"
expect 0 "$tool" rm -f "$store/run/step-1/small.txt"
expect 0 "$tool" rm --prefix "$store/run/step-1/";   contains "removed 1 objects"
expect 3 "$tool" ls "$store/run/step-1/"
expect 2 "$tool" rm --prefix s3://some-bucket         # a whole bucket: refused before any request
expect 2 "$tool" rm "$store/run/"                     # a prefix without --prefix
expect 0 "$tool" ls -r "$store";                     contains "total: 1 objects"

if [ "$failures" -ne 0 ]; then echo "$failures check(s) failed"; exit 1; fi
echo "ronde-ckpt: all checks passed"

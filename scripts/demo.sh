#!/usr/bin/env bash
# The main command: installs what is missing, builds ronde's digits_mlp example, and trains it on
# 4 ranks under mpirun with checkpoints in a fresh local directory; interrupts the job once with
# SIGTERM after its first checkpoint, restarts it, lets it finish, and prints a summary.
#
#   scripts/demo.sh [-np N] [-- DIGITS_MLP_FLAGS...]
#
#   -np N        ranks (default 4)
#   -- FLAGS     passed to digits_mlp (build/examples/digits_mlp/digits_mlp --help lists them)
#   --help       this text
#
# Environment: RONDE_BUILD_DIR, the build directory (default build).
# Output: runs/demo-<timestamp>/ holds the checkpoints, both runs' logs and the final model.
# Exit status 0 when the job resumed after the interruption and reached >= 95% test accuracy.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RONDE_ROOT"

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }

ranks=4
flags=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    -np|--np) [ $# -ge 2 ] || { echo "demo.sh: $1 needs a number" >&2; exit 2; }; ranks=$2; shift 2 ;;
    --) shift; flags=("$@"); break ;;
    *) echo "demo.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done

start=$SECONDS
scripts/install-deps.sh
build=${RONDE_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRONDE_BUILD_EXAMPLES=ON > build-configure.log ||
  { cat build-configure.log; echo "demo.sh: configuring $build failed (log above)" >&2; exit 1; }
cmake --build "$build" -j "$(nproc)" --target digits_mlp
echo "demo.sh: installed and built in $((SECONDS - start)) s"
echo

examples/digits_mlp/interrupted_run.sh "$build/examples/digits_mlp/digits_mlp" "runs/demo-$(date +%Y%m%d-%H%M%S)" \
  -np "$ranks" -- "${flags[@]}"
echo "demo.sh: ok, $((SECONDS - start)) s in all"

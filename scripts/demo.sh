#!/usr/bin/env bash
# The main command: installs what is missing, builds ronde, and runs the main job on 4 ranks
# under mpirun — for now, allreduce_demo, which allreduces real tensors on every rank and
# verifies each result.
#
#   scripts/demo.sh [RANKS]     (default 4)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RONDE_ROOT"
ranks=${1:-4}
case "$ranks" in -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRONDE_BUILD_EXAMPLES=ON > build-configure.log || { cat build-configure.log; exit 1; }
cmake --build build -j "$(nproc)" --target allreduce_demo ronde-info
mpirun -np "$ranks" build/examples/allreduce_demo/allreduce_demo

#!/usr/bin/env bash
# The test command: installs what is missing, builds ronde (with CUDA sources when nvcc and NCCL
# are present), runs every test (the tests across hosts too, label "cluster", on an emulated
# cluster they start themselves), then builds again with AddressSanitizer + UBSan and runs the
# unit, parameter-server and multi-rank tests under them, and finally runs the engine's tests
# under ThreadSanitizer (scripts/test-tsan.sh). The sanitizer trees build only the programs their
# tests run. Compilation goes through ccache when it is installed (install-deps.sh installs it),
# with paths relative to the checkout, so another clone on the same machine reuses the cache.
# Each phase's time is printed at the end.
#
#   scripts/test.sh            everything (what .ci/run runs)
#   scripts/test.sh --fast     the Release build and its tests only, no sanitizer builds
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RONDE_ROOT"

# ---- phases and their times ---------------------------------------------------------------------
phase_names=()
phase_seconds=()
phase_started=$SECONDS
phase_current=""
phase() {  # phase NAME: ends the current phase (if any), starts NAME
  if [ -n "$phase_current" ]; then
    phase_names+=("$phase_current")
    phase_seconds+=($((SECONDS - phase_started)))
  fi
  phase_current="$1"
  phase_started=$SECONDS
  if [ -n "$1" ]; then echo "== $1"; fi
}
report_phases() {
  local status=$?
  phase ""
  echo
  echo "test.sh: phase times$([ "$status" -ne 0 ] && echo " (stopped by a failure, status $status)")"
  local i total=0
  for i in "${!phase_names[@]}"; do
    printf '  %-46s %4d:%02d\n' "${phase_names[$i]}" $((phase_seconds[i] / 60)) $((phase_seconds[i] % 60))
    total=$((total + phase_seconds[i]))
  done
  printf '  %-46s %4d:%02d\n' "total" $((total / 60)) $((total % 60))
}
trap report_phases EXIT

fast=0
for arg in "$@"; do
  case "$arg" in
    --fast) fast=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

phase "dependencies (scripts/install-deps.sh)"
scripts/install-deps.sh
jobs=$(nproc)
# The compiler cache: paths under the checkout are hashed relative to it (CCACHE_BASEDIR) and the
# build directory is not hashed, so a fresh clone elsewhere on this machine hits the same entries.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$RONDE_ROOT" CCACHE_NOHASHDIR=true
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  ccache --zero-stats >/dev/null 2>&1 || true
fi

phase "Release build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRONDE_BUILD_TESTS=ON -DRONDE_BUILD_BENCHMARKS=ON \
  -DRONDE_BUILD_EXAMPLES=ON "${launcher[@]}" > build-configure.log || { cat build-configure.log; exit 1; }
grep -A12 "ronde .* configuration" build-configure.log || true
cmake --build build -j "$jobs"
if [ ${#launcher[@]} -gt 0 ]; then ccache --show-stats 2>/dev/null | grep -E "Hits|Misses" | head -3 || true; fi

phase "Release tests (ctest in build/, cluster included)"
(cd build && ctest -j "$jobs" --output-on-failure --timeout 600)

[ "$fast" -eq 1 ] && exit 0

phase "AddressSanitizer + UBSan build (build-asan/)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRONDE_SANITIZE=address,undefined \
  -DRONDE_WITH_CUDA=OFF -DRONDE_BUILD_BENCHMARKS=OFF -DRONDE_BUILD_EXAMPLES=OFF "${launcher[@]}" \
  > build-asan-configure.log || { cat build-asan-configure.log; exit 1; }
# Only what the sanitizer runs below execute (the Release tree says which programs those are).
mapfile -t asan_targets < <(scripts/test-targets.py build unit engine ps mpi)
cmake --build build-asan -j "$jobs" --target "${asan_targets[@]}"

phase "AddressSanitizer + UBSan tests (unit, ps, mpi)"
# Open MPI's own allocations show as leaks: suppress its libraries (never ronde's code), and keep
# its components loaded so that the reports can name them.
export LSAN_OPTIONS="suppressions=$RONDE_ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMPI_MCA_mca_base_component_disable_dlclose=1
# "engine" without "mpi": the engine's thread-rank tests (their own label, see tests/engine).
(cd build-asan && ctest -j "$jobs" --output-on-failure --timeout 900 -L '^(unit|engine)$' -LE mpi)
# The parameter server's tests: real server processes (also built with the sanitizers), ~35 s;
# their suppressions add OpenSSL's allocations made inside gRPC's TLS (lsan-ps.supp says why).
(cd build-asan && LSAN_OPTIONS="suppressions=$RONDE_ROOT/tests/sanitizers/lsan-ps.supp:print_suppressions=0" \
  ctest -j "$jobs" --output-on-failure --timeout 900 -L ps)
# Under mpirun, Open MPI still unloads some plugins (PMIx, hwloc) whose allocations LSan then
# reports from "<unknown module>", which no suppression can name. The multi-rank tests therefore
# run with ASan's memory-error checks and UBSan but without leak detection; the same algorithm
# code is leak-checked above, where the unit tests run it on threads.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
# The forced-hierarchical run at 8 ranks repeats np3/np4's paths at 70 s under ASan: Release only.
(cd build-asan && ctest --output-on-failure --timeout 900 -L mpi -E "large|hierarchical_np8")

phase "ThreadSanitizer build and tests of the engine (build-tsan/)"
RONDE_CCACHE_LAUNCHER="${launcher[*]}" scripts/test-tsan.sh

#!/usr/bin/env bash
# The test command: installs what is missing, builds ronde (with CUDA sources when nvcc and NCCL
# are present), runs every test, then builds again with AddressSanitizer + UBSan and runs the
# unit and multi-rank tests under them, and finally runs the engine's tests under
# ThreadSanitizer (scripts/test-tsan.sh).
#
#   scripts/test.sh            everything (what .ci/run runs)
#   scripts/test.sh --fast     the Release build and its tests only, no sanitizer builds
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RONDE_ROOT"

fast=0
for arg in "$@"; do
  case "$arg" in
    --fast) fast=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

scripts/install-deps.sh
jobs=$(nproc)

echo "== Release build (build/)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRONDE_BUILD_TESTS=ON -DRONDE_BUILD_BENCHMARKS=ON -DRONDE_BUILD_EXAMPLES=ON > build-configure.log || { cat build-configure.log; exit 1; }
grep -A12 "ronde .* configuration" build-configure.log || true
cmake --build build -j "$jobs"
(cd build && ctest -j "$jobs" --output-on-failure --timeout 600)

[ "$fast" -eq 1 ] && exit 0

echo "== AddressSanitizer + UBSan build (build-asan/)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRONDE_SANITIZE=address,undefined \
  -DRONDE_WITH_CUDA=OFF -DRONDE_BUILD_BENCHMARKS=OFF -DRONDE_BUILD_EXAMPLES=OFF > build-asan-configure.log \
  || { cat build-asan-configure.log; exit 1; }
cmake --build build-asan -j "$jobs"
# Open MPI's own allocations show as leaks: suppress its libraries (never ronde's code), and keep
# its components loaded so that the reports can name them.
export LSAN_OPTIONS="suppressions=$RONDE_ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export OMPI_MCA_mca_base_component_disable_dlclose=1
(cd build-asan && ctest -j "$jobs" --output-on-failure --timeout 900 -L unit)
# The parameter server's tests: real server processes (also built with the sanitizers), ~35 s;
# their suppressions add OpenSSL's allocations made inside gRPC's TLS (lsan-ps.supp says why).
(cd build-asan && LSAN_OPTIONS="suppressions=$RONDE_ROOT/tests/sanitizers/lsan-ps.supp:print_suppressions=0" \
  ctest -j "$jobs" --output-on-failure --timeout 900 -L ps)
# Under mpirun, Open MPI still unloads some plugins (PMIx, hwloc) whose allocations LSan then
# reports from "<unknown module>", which no suppression can name. The multi-rank tests therefore
# run with ASan's memory-error checks and UBSan but without leak detection; the same algorithm
# code is leak-checked above, where the unit tests run it on threads.
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1"
(cd build-asan && ctest --output-on-failure --timeout 900 -L mpi -E "large")

echo "== ThreadSanitizer build of the engine (build-tsan/)"
scripts/test-tsan.sh

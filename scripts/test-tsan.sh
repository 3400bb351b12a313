#!/usr/bin/env bash
# ThreadSanitizer run of the engine (its background thread, callers' threads, handles, callbacks):
# builds build-tsan/ (Debug, -fsanitize=thread, no CUDA, no benchmarks or examples), then runs the
# thread-based engine tests and the mpirun engine test at 2 ranks. Open MPI's internals are
# suppressed by tests/sanitizers/tsan.supp; ronde's code never is.
#
#   scripts/test-tsan.sh            build and run
#   scripts/test-tsan.sh --no-mpi   the thread-based tests only
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RONDE_ROOT"

mpi=1
for arg in "$@"; do
  case "$arg" in
    --no-mpi) mpi=0 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-tsan.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

echo "== ThreadSanitizer build (build-tsan/)"
# scripts/test.sh passes its compiler-cache settings in RONDE_CCACHE_LAUNCHER.
read -r -a launcher <<< "${RONDE_CCACHE_LAUNCHER:-}"
cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRONDE_SANITIZE=thread -DRONDE_WITH_CUDA=OFF \
  -DRONDE_BUILD_BENCHMARKS=OFF -DRONDE_BUILD_EXAMPLES=OFF "${launcher[@]}" > build-tsan-configure.log \
  || { cat build-tsan-configure.log; exit 1; }
cmake --build build-tsan -j "$(nproc)" --target engine_thread_tests engine_mpi_test

export TSAN_OPTIONS="suppressions=$RONDE_ROOT/tests/sanitizers/tsan.supp:halt_on_error=1:second_deadlock_stack=1:report_signal_unsafe=0"
export OMPI_MCA_mca_base_component_disable_dlclose=1
(cd build-tsan && ctest --output-on-failure --timeout 600 -L engine -LE mpi)
if [ "$mpi" -eq 1 ]; then
  (cd build-tsan && ctest --output-on-failure --timeout 600 -R '^engine_mpi_np2$')
fi

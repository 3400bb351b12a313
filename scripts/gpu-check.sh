#!/usr/bin/env bash
# Builds ronde with CUDA (sm_90 by default: H100/H200) and runs every GPU test and GPU benchmark,
# then prints what ran, what was skipped and why. Meant for a machine with a GPU; elsewhere every
# GPU test reports "skipped".
#
#   scripts/gpu-check.sh [BUILD_DIR]     (default build-gpu)
#
# GPU tests carry the CTest label "gpu": a device/NCCL smoke test, the optimizer CUDA kernels
# against their host results, and the collectives on CUDA tensors against the host collectives —
# NCCL with one rank (one GPU takes one NCCL rank), the staged path (RONDE_GPU_OPERATIONS=MPI)
# with three processes sharing the GPU. Multi-GPU NCCL (several ranks on several devices) needs
# more than one GPU and is not exercised here.
# GPU benchmarks: optim_bench --device cuda (optimizer steps vs a device-to-device copy) and
# cuda_collectives_bench (NCCL allreduce at world size 1, staging copies and cast kernels vs a
# device-to-device copy). Results land in bench-results/*-cuda.csv.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$RONDE_ROOT"
build=${1:-build-gpu}
case "$build" in -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

echo "== machine"
command -v nvidia-smi > /dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || echo "no nvidia-smi"
for tool in nvcc mpirun; do printf '%-8s %s\n' "$tool" "$(command -v $tool || echo missing)"; done

# ronde's core links MPI: without its development files nothing here can build. Say so plainly.
if ! command -v mpicc > /dev/null && [ ! -f /usr/include/mpi.h ] && [ ! -f /usr/lib/x86_64-linux-gnu/openmpi/include/mpi.h ]; then
  echo "gpu-check: MPI development files are missing (ronde's core needs them); install libopenmpi-dev" >&2
  echo "           (or unpack its .deb and point CMAKE_PREFIX_PATH at it) and run again" >&2
  exit 1
fi

echo "== configure and build (RONDE_WITH_CUDA=ON)"
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRONDE_WITH_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="${CMAKE_CUDA_ARCHITECTURES:-90}" -DRONDE_BUILD_BENCHMARKS=ON \
  -DRONDE_BUILD_EXAMPLES=OFF > "$build-configure.log" || { cat "$build-configure.log"; exit 1; }
grep -A12 "ronde .* configuration" "$build-configure.log" || true
cmake --build "$build" -j "$(nproc)" --target cuda_device_test optim_cuda_test cuda_collectives_test optim_bench \
  cuda_collectives_bench

echo "== GPU tests"
(cd "$build" && ctest -L gpu --output-on-failure -V | grep -E "^[0-9]+: (SKIP|FAIL|CUDA|all)|Test +#|tests passed")

echo "== GPU benchmarks"
mkdir -p bench-results
rm -f bench-results/optim-cuda.csv bench-results/collectives-cuda.csv
"$build/benchmarks/optim_bench" --device cuda --csv bench-results/optim-cuda.csv 2>/dev/null
"$build/benchmarks/cuda_collectives_bench" --csv bench-results/collectives-cuda.csv

#!/usr/bin/env bash
# Fails if any public header (<module>/include/ronde/...) includes an MPI, CUDA, NCCL, gRPC,
# protobuf or curl header: consumers compile against ronde's headers alone.
set -euo pipefail
root=${1:?usage: check_public_headers.sh SOURCE_DIR}
pattern='^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](mpi|cuda|cuda_runtime|cuda_runtime_api|nccl|grpc|grpcpp|google/protobuf|curl)[/._a-z]*'
headers=$(find "$root" -path "$root/build*" -prune -o -path '*/include/ronde/*' -name '*.h' -print)
[ -n "$headers" ] || { echo "no public headers found under $root"; exit 1; }
if offending=$(grep -nE "$pattern" $headers); then
  echo "public headers must not include third-party communication headers:"
  echo "$offending"
  exit 1
fi
echo "$(echo "$headers" | wc -l) public headers checked: no MPI/CUDA/NCCL/gRPC/protobuf/curl includes"

#!/usr/bin/env bash
# Installs the Debian packages ronde needs to build, test and benchmark, skipping those already
# present (so a second run takes no time and needs no network). Run as root (CI and the dev
# machines are root); with sudo otherwise.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config ccache         # toolchain (ccache: scripts/test.sh's compiler cache)
  libopenmpi-dev openmpi-bin                      # MPI: the host transport and launcher
  nlohmann-json3-dev                              # JSON (SageMaker config; later manifests)
  libssl-dev                                      # SHA-256/HMAC for S3 request signing
  libcurl4-openssl-dev libpugixml-dev             # S3 storage: HTTP client, XML responses
  libxxhash-dev                                   # XXH3 checksums of checkpoint shards
  libgrpc++-dev libprotobuf-dev                   # parameter server: gRPC service, protobuf messages
  protobuf-compiler protobuf-compiler-grpc        # ... and their code generators
  openssl                                         # TLS certificates for the parameter server's tests
  python3-sklearn zlib1g-dev                      # the examples' handwritten digits (a .csv.gz)
  libtorch-dev                                    # examples/libtorch_ddp (libtorch 1.13, CPU)
  googletest libgtest-dev libgmock-dev            # tests
  libbenchmark-dev libgloo-dev                    # benchmarks (Gloo is a measured peer)
  python3-matplotlib                              # scripts/plot_bench.py
  iproute2 util-linux                             # scripts/cluster.sh: namespaces, veths, tc, nsenter
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" > /dev/null
echo "install-deps: done"

#!/usr/bin/env bash
# Installs the built ronde into a fresh prefix, builds tests/consumer against it out of tree with
# find_package(ronde), runs it under mpirun with 2 ranks, and compiles it once more with the
# flags pkg-config gives for ronde.pc.
set -euo pipefail
build_dir=${1:?usage: install_and_consume.sh BUILD_DIR CONSUMER_SOURCE WORK_DIR}
consumer_source=${2:?}
work=${3:?}
rm -rf "$work" && mkdir -p "$work"
prefix="$work/prefix"

echo "== installing into $prefix"
cmake --install "$build_dir" --prefix "$prefix" > "$work/install.log"
test -f "$prefix/lib/cmake/ronde/ronde-config.cmake"
test -f "$prefix/lib/cmake/ronde/ronde-config-version.cmake"
test -f "$prefix/lib/pkgconfig/ronde.pc"
test -f "$prefix/include/ronde/allreduce/collectives.h"
test -x "$prefix/bin/ronde-info"
test -x "$prefix/bin/ronde-ckpt"
test -x "$prefix/bin/ronde-ps-server"
"$prefix/bin/ronde-ps-server" --help | grep -q -- "--shards"
test -f "$prefix/include/ronde/checkpoint/storage.h"

echo "== configuring the consumer with find_package(ronde)"
cmake -S "$consumer_source" -B "$work/consumer-build" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" > "$work/configure.log"
cmake --build "$work/consumer-build" > "$work/build.log"

echo "== running it under mpirun -np 2"
mpirun -np 2 "$work/consumer-build/ronde_consumer" | tee "$work/run.log"
grep -q "consumer: sum over 2 ranks verified" "$work/run.log"

echo "== compiling it with pkg-config flags"
PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --exists ronde
flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig" pkg-config --cflags --libs ronde)
c++ -std=c++20 "$consumer_source/main.cc" $flags -Wl,-rpath,"$prefix/lib" -o "$work/ronde_consumer_pc"
mpirun -np 2 "$work/ronde_consumer_pc" | grep -q "verified"
echo "install and consume: ok"

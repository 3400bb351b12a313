#!/usr/bin/env bash
# scripts/bench.sh NAME [--quick] — run benchmark NAME the way it is meant to be run, print its
# table, write bench-results/NAME.csv (fresh each run) and plot it to bench-results/NAME.png
# (collectives: one bench-results/collectives-<collective>.png per collective).
#
# Environment:
#   RONDE_BUILD_DIR    build directory, relative to the repository root or absolute
#                      (default build; configured and built if the benchmark is missing)
#   RONDE_BENCH_RANKS  rank counts to run, in order (default "2 4")
#   RONDE_BENCH_TIMEOUT  seconds allowed for one mpirun (default 180 with --quick, else 3600)
#   RONDE_BENCH_HOSTS  host counts of `cluster` (default "2 4"; --quick: "2")
#   RONDE_BENCH_RATES  link rates of `cluster` (default "unlimited 10gbit 2gbit"; --quick: "2gbit")
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCHMARKS=(allreduce collectives engine optim storage checkpoint ps cluster)   # add a name here and a case in main() below

usage() {
  cat <<USAGE
usage: scripts/bench.sh NAME [--quick]

Runs benchmark NAME, prints a readable table, writes bench-results/NAME.csv (header
bench,case,impl,ranks,bytes,metric,value) and bench-results/NAME.png (collectives: one
bench-results/collectives-<collective>.png per collective).

benchmarks:
  allreduce   float32 Sum allreduce, 4 B .. 256 MiB: ronde vs MPI_Allreduce vs Gloo,
              under mpirun with 2 then 4 ranks
  collectives float32 allgather, reducescatter, alltoall, broadcast and allreduce, 4 KiB ..
              256 MiB: ronde vs MPI (MPI_Allgather, MPI_Reduce_scatter_block, MPI_Alltoall,
              MPI_Bcast, MPI_Allreduce) vs Gloo (no Gloo allreduce: see allreduce), under
              mpirun with 2 then 4 ranks
  engine      ResNet-50's 161 float32 gradients per step: the engine (fusion) vs one
              MPI_Allreduce per tensor vs one allreduce of all bytes (the floor); 8-byte
              latency with and without the response cache; a fusion threshold sweep;
              under mpirun with 2 then 4 ranks
  optim       optimizer step throughput (GB/s moved) for 1M .. 128M float32 parameters on
              one core, next to memcpy bandwidth measured in the same run
  storage     checkpoint storage, 256 MiB and 1 GiB objects (--quick: 32 and 128 MiB): ronde's
              S3 backend vs aws s3 cp (upload, download) on one moto_server that the script
              starts and stops, ronde's file backend vs dd conv=fsync, and the CPU cost of
              SHA-256, MD5 and SigV4 signing
  checkpoint  the training stall of an asynchronous checkpoint save (the snapshot) against a
              synchronous save and one memcpy of the same state, and save and restore
              throughput: 256 MiB and 1 GiB to a local directory at 1, 2 and 4 ranks, 256 MiB to
              a moto_server at 1 and 2 ranks (--quick: 16 and 64 MiB); no plot
  ps          parameter server push+pull of a 1 MiB, 16 MiB and 128 MiB float32 model through
              1 and 2 real ronde-ps-server processes, plaintext / TLS / mutual TLS, against a
              bare gRPC stream of the same bytes over the same kind of channel (the ceiling);
              everything on loopback
  cluster     allreduce, collectives, engine and ps across hosts of an emulated cluster
              (scripts/cluster.sh, one rank per host) at 2 and 4 hosts, each at unlimited,
              10gbit and 2gbit links: ronde vs MPI (default and forced ring) vs Gloo (not for
              reducescatter: Gloo's gave wrong sums across hosts), with the link's line rate
              beside each busbw; allreduce 4 B .. 64 MiB, the other collectives 1 .. 64 MiB,
              10 iterations; ps_bench's worker on h1 against 1 server on h2 (and, at 4 hosts,
              one server on each other host), 16 and 64 MiB, plaintext and mutual TLS
              (--quick: 2 hosts, 2gbit only, a few sizes); needs root

options:
  --quick     a short run (under a minute) for smoke checks
  --help      this text

environment: RONDE_BUILD_DIR (default build), RONDE_BENCH_RANKS (default "2 4"),
             RONDE_BENCH_TIMEOUT (seconds per mpirun); for cluster: RONDE_BENCH_HOSTS
             (default "2 4"), RONDE_BENCH_RATES (default "unlimited 10gbit 2gbit")
USAGE
}

die() { echo "bench.sh: $*" >&2; exit 1; }

build_dir() {
  local dir="${RONDE_BUILD_DIR:-build}"
  case "$dir" in /*) echo "$dir" ;; *) echo "$ROOT/$dir" ;; esac
}

# ensure_target TARGET RELATIVE_PATH: prints the path of the built binary, building it if missing.
ensure_target() {
  local target="$1" rel="$2" dir bin
  dir="$(build_dir)"
  bin="$dir/$rel"
  if [[ ! -x "$bin" ]]; then
    echo "bench.sh: $bin not found; building it (Release) in $dir" >&2
    cmake -S "$ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRONDE_BUILD_BENCHMARKS=ON >&2 || die "configure failed"
    cmake --build "$dir" --target "$target" >&2 || die "build of $target failed"
    [[ -x "$bin" ]] || die "$bin still missing after the build"
  fi
  echo "$bin"
}

source "$ROOT/scripts/env.sh"   # Open MPI as root, oversubscribed, shared memory only

run_mpi() {  # run_mpi NP COMMAND...
  local np="$1"; shift
  local rc=0
  timeout --foreground "$TIMEOUT" mpirun -np "$np" "$@" || rc=$?
  if [[ $rc -eq 124 ]]; then
    die "mpirun -np $np $* timed out after $TIMEOUT s (a hang? RONDE_BENCH_TIMEOUT sets the limit)"
  elif [[ $rc -ne 0 ]]; then
    die "mpirun -np $np $* failed (exit $rc)"
  fi
}

plot() {  # plot NAME [plot_bench.py options]
  local csv="$RESULTS/$1.csv" png="$RESULTS/$1.png" name="$1"
  shift
  if [[ ! -x /usr/bin/python3 ]]; then
    echo "bench.sh: /usr/bin/python3 missing; no plot" >&2
    return 0
  fi
  /usr/bin/python3 "$ROOT/scripts/plot_bench.py" "$csv" --output "$png" --title "$name" "$@" ||
    die "plotting $csv failed"
}

bench_allreduce() {
  local bin csv np
  bin="$(ensure_target allreduce_bench benchmarks/allreduce_bench)"
  csv="$RESULTS/allreduce.csv"
  rm -f "$csv"
  for np in ${RONDE_BENCH_RANKS:-2 4}; do
    echo "== allreduce, $np ranks: mpirun -np $np ${bin#"$ROOT"/} --csv ${csv#"$ROOT"/} ${QUICK[*]}" >&2
    run_mpi "$np" "$bin" --csv "$csv" "${QUICK[@]}"
  done
  plot allreduce
}

COLLECTIVES=(allgather reducescatter alltoall broadcast allreduce)

bench_collectives() {
  local bin csv np case
  bin="$(ensure_target collectives_bench benchmarks/collectives_bench)"
  csv="$RESULTS/collectives.csv"
  rm -f "$csv"
  for np in ${RONDE_BENCH_RANKS:-2 4}; do
    echo "== collectives, $np ranks: mpirun -np $np ${bin#"$ROOT"/} --csv ${csv#"$ROOT"/} ${QUICK[*]}" >&2
    run_mpi "$np" "$bin" --csv "$csv" "${QUICK[@]}"
  done
  # One figure per collective: five collectives times three implementations in one plot is
  # unreadable.
  PLOTS=""
  for case in "${COLLECTIVES[@]}"; do
    plot collectives --case "$case" --output "$RESULTS/collectives-$case.png"
    PLOTS+="${PLOTS:+, }bench-results/collectives-$case.png"
  done
}

bench_engine() {
  local bin csv np
  bin="$(ensure_target engine_bench benchmarks/engine_bench)"
  csv="$RESULTS/engine.csv"
  rm -f "$csv"
  for np in ${RONDE_BENCH_RANKS:-2 4}; do
    echo "== engine, $np ranks: mpirun -np $np ${bin#"$ROOT"/} --csv ${csv#"$ROOT"/} ${QUICK[*]}" >&2
    run_mpi "$np" "$bin" --csv "$csv" "${QUICK[@]}"
  done
  # The step comparison is three numbers per rank count (in the table); the figure is the sweep,
  # whose x axis is the fusion threshold.
  plot engine --case fusion_sweep --metric seconds_median --title "engine: ResNet-50 step time by fusion threshold (x)"
}

# start_moto LOG: a moto_server on a free port in its own session (so that the whole server goes
# when the benchmark ends, however it ends), with the bucket ronde-bench and the AWS variables that
# point the AWS CLI and ronde at it (MOTO_ENDPOINT). Objects stay in memory (moto spills keys above
# 5 MiB to temporary files by default), so that the disk is no part of the comparison.
start_moto() {
  local port
  command -v moto_server >/dev/null || die "moto_server not found (python3 -m pip install 'moto[server]')"
  command -v aws >/dev/null || die "aws (the AWS CLI) not found"
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  MOTO_S3_DEFAULT_KEY_BUFFER_SIZE=$((4 << 30)) setsid moto_server -H 127.0.0.1 -p "$port" >"$1" 2>&1 &
  MOTO_PID=$!
  trap 'kill -- -'"$MOTO_PID"' 2>/dev/null || true' EXIT
  MOTO_ENDPOINT="http://127.0.0.1:$port"
  for _ in $(seq 100); do curl -s -o /dev/null "$MOTO_ENDPOINT/" && break; sleep 0.1; done
  export AWS_ACCESS_KEY_ID=ronde-bench AWS_SECRET_ACCESS_KEY=ronde-bench AWS_DEFAULT_REGION=us-east-1 \
         AWS_EC2_METADATA_DISABLED=true
  aws --endpoint-url "$MOTO_ENDPOINT" s3 mb s3://ronde-bench >/dev/null || die "cannot create the bucket"
}

stop_moto() {
  kill -- -"$MOTO_PID" 2>/dev/null || true
  wait "$MOTO_PID" 2>/dev/null || true
  trap - EXIT
}

bench_storage() {
  local bin csv rc=0
  bin="$(ensure_target storage_bench benchmarks/storage_bench)"
  csv="$RESULTS/storage.csv"
  rm -f "$csv"
  start_moto "$RESULTS/storage-moto.log"
  echo "== storage: ${bin#"$ROOT"/} --endpoint $MOTO_ENDPOINT --bucket ronde-bench --csv ${csv#"$ROOT"/} ${QUICK[*]}" >&2
  timeout --foreground "$TIMEOUT" "$bin" --endpoint "$MOTO_ENDPOINT" --bucket ronde-bench --csv "$csv" \
    "${QUICK[@]}" || rc=$?
  stop_moto
  [[ $rc -eq 0 ]] || die "storage_bench failed (exit $rc)"
  plot storage --metric GBps
}

bench_optim() {
  local bin csv
  bin="$(ensure_target optim_bench benchmarks/optim_bench)"
  csv="$RESULTS/optim.csv"
  rm -f "$csv"
  echo "== optim: ${bin#"$ROOT"/} --csv ${csv#"$ROOT"/} ${QUICK[*]}" >&2
  timeout --foreground "$TIMEOUT" "$bin" --csv "$csv" "${QUICK[@]}" || die "optim_bench failed"
  plot optim --metric GBps
}

bench_checkpoint() {
  local bin csv np sizes=(--sizes 256M,1G --iters 3) s3_sizes=(--sizes 256M --iters 2)
  bin="$(ensure_target checkpoint_bench benchmarks/checkpoint_bench)"
  csv="$RESULTS/checkpoint.csv"
  rm -f "$csv"
  [[ ${#QUICK[@]} -gt 0 ]] && sizes=(--sizes 16M,64M --iters 2) && s3_sizes=(--sizes 16M --iters 2)
  for np in 1 2 4; do
    echo "== checkpoint: mpirun -np $np ${bin#"$ROOT"/} ${sizes[*]} (file://) --csv ${csv#"$ROOT"/}" >&2
    run_mpi "$np" "$bin" "${sizes[@]}" --csv "$csv"
  done
  start_moto "$RESULTS/checkpoint-moto.log"
  for np in 1 2; do
    echo "== checkpoint: mpirun -np $np ${bin#"$ROOT"/} ${s3_sizes[*]} --uri s3://ronde-bench/ckpt (moto_server)" >&2
    AWS_ENDPOINT_URL="$MOTO_ENDPOINT" RONDE_S3_ADDRESSING=path \
      run_mpi "$np" "$bin" "${s3_sizes[@]}" --uri s3://ronde-bench/ckpt --csv "$csv"
  done
  stop_moto
}

bench_ps() {
  local bin csv
  bin="$(ensure_target ps_bench benchmarks/ps_bench)"
  csv="$RESULTS/ps.csv"
  rm -f "$csv"
  echo "== ps: ${bin#"$ROOT"/} --csv ${csv#"$ROOT"/} ${QUICK[*]}" >&2
  timeout --foreground "$TIMEOUT" "$bin" --csv "$csv" "${QUICK[@]}" || die "ps_bench failed"
  # One subplot per server count; a line per implementation and security mode.
  plot ps --metric GBps --ranks-name server --xlabel "model size (bytes)" --color-by-case \
    --title "ps: push+pull (GB/s both directions), ronde vs bare gRPC"
}

# ---- cluster: the network benchmarks across the hosts of an emulated cluster ------------------
CLUSTER_SH="$ROOT/scripts/cluster.sh"

# line_rate_gbps RATE: the line rate in GB/s (1e9 B/s), 0 for unlimited.
line_rate_gbps() {
  python3 -c "
import re, sys
m = re.fullmatch(r'(\d+)(bit|kbit|mbit|gbit)', sys.argv[1])
scale = {'bit': 1, 'kbit': 1e3, 'mbit': 1e6, 'gbit': 1e9}
print(0 if not m else int(m.group(1)) * scale[m.group(2)] / 8e9)" "$1"
}

# cluster_run RATE CSV PROGRAM ARGS...: PROGRAM under the cluster's mpirun, its CSV rows appended to
# CSV with "@RATE" after each case (the regime), bounded by TIMEOUT.
cluster_run() {
  local rate="$1" csv="$2"
  shift 2
  echo "== cluster ($(wc -l < "/run/ronde-cluster/$RONDE_CLUSTER/hosts") hosts, $rate): mpirun ${*#"$ROOT"/}" >&2
  cluster_rows "$csv" '{ $2 = $2 "@" rate; print }' -v rate="$rate" -- \
    env RONDE_CLUSTER_QUIET=1 "$CLUSTER_SH" mpirun "$@"
}

# cluster_rows CSV AWK-PROGRAM [AWK-ARGS...] -- COMMAND...: COMMAND --csv PART, bounded by TIMEOUT;
# PART's rows (its header dropped) rewritten by AWK-PROGRAM are appended to CSV.
cluster_rows() {
  local csv="$1" program="$2" part rc=0
  shift 2
  local -a awk_args=()
  while [[ "$1" != "--" ]]; do awk_args+=("$1"); shift; done
  shift
  part="$(mktemp "$RESULTS/cluster-part-XXXXXX.csv")"
  rm -f "$part"
  timeout --foreground "$TIMEOUT" "$@" --csv "$part" || rc=$?
  if [[ $rc -ne 0 ]]; then rm -f "$part"; die "${*#"$ROOT"/} failed on the cluster (exit $rc; 124: timed out after $TIMEOUT s)"; fi
  tail -n +2 "$part" | awk -F, -v OFS=, "${awk_args[@]}" "$program" >> "$csv"
  rm -f "$part"
}

# cluster_ps RATE CSV HOSTS ARGS...: ps_bench on h1 against servers on the other hosts (server i
# on host i+2, mod the others), its rows appended to CSV with "_<servers>srv@RATE" after each case
# and the host count in the ranks column, bounded by TIMEOUT.
cluster_ps() {
  local rate="$1" csv="$2" hosts="$3" i servers=""
  shift 3
  for ((i = 2; i <= hosts; i++)); do servers+="${servers:+,}h$i"; done
  echo "== cluster ($hosts hosts, $rate): ps_bench on h1, servers on $servers $*" >&2
  cluster_rows "$csv" '{ $2 = $2 "_" $4 "srv@" rate; $4 = hosts; print }' -v rate="$rate" -v hosts="$hosts" -- \
    "$CLUSTER_SH" exec h1 -- "$PS_BENCH" "$@" --server-hosts "$servers" --launcher "$CLUSTER_SH exec {host} --"
}

# cluster_two_by_two ALLREDUCE COLLECTIVES CSV RATES SIZE-ARGS...: allreduce and allgather at 2
# hosts x 2 ranks, where ronde takes the hierarchical path, against ronde's flat ring
# (RONDE_HIERARCHY=flat, impl ronde_flat), MPI (default; for allreduce also its ring) and Gloo;
# rows get case "<case>_2x2@RATE" and the host count (2).
cluster_two_by_two() {
  local allreduce="$1" collectives="$2" csv="$3" rates="$4" rate
  shift 4
  local -a sizes=("$@")
  export RONDE_CLUSTER="bench2x2"
  "$CLUSTER_SH" down >/dev/null 2>&1 || true
  trap '"$CLUSTER_SH" down >/dev/null 2>&1 || true' EXIT
  "$CLUSTER_SH" up 2 --slots 2 >/dev/null || die "cannot start a cluster of 2 hosts x 2 ranks"
  local relabel='{ $2 = $2 "_2x2@" rate; $4 = 2; if (impl != "") $3 = impl; print }'
  for rate in $rates; do
    "$CLUSTER_SH" rate "$([[ $rate == unlimited ]] && echo none || echo "$rate")" 2>/dev/null
    echo "== cluster (2 hosts x 2 ranks, $rate): allreduce, allgather and broadcast, hierarchical and flat" >&2
    cluster_rows "$csv" "$relabel" -v rate="$rate" -v impl="" -- \
      env RONDE_CLUSTER_QUIET=1 "$CLUSTER_SH" mpirun "$allreduce" "${sizes[@]}" --min-bytes 1MiB --no-progress
    cluster_rows "$csv" "$relabel" -v rate="$rate" -v impl=ronde_flat -- \
      env RONDE_CLUSTER_QUIET=1 RONDE_HIERARCHY=flat "$CLUSTER_SH" mpirun "$allreduce" "${sizes[@]}" --min-bytes 1MiB \
      --impls ronde --no-progress
    cluster_rows "$csv" "$relabel" -v rate="$rate" -v impl=mpi_ring -- \
      env RONDE_CLUSTER_QUIET=1 "$CLUSTER_SH" mpirun --mca coll_tuned_use_dynamic_rules 1 \
      --mca coll_tuned_allreduce_algorithm 4 "$allreduce" "${sizes[@]}" --min-bytes 1MiB --impls mpi --no-progress
    cluster_rows "$csv" "$relabel" -v rate="$rate" -v impl="" -- \
      env RONDE_CLUSTER_QUIET=1 "$CLUSTER_SH" mpirun "$collectives" "${sizes[@]}" --min-bytes 1MiB --no-progress \
      --collectives allgather,broadcast
    cluster_rows "$csv" "$relabel" -v rate="$rate" -v impl=ronde_flat -- \
      env RONDE_CLUSTER_QUIET=1 RONDE_HIERARCHY=flat "$CLUSTER_SH" mpirun "$collectives" "${sizes[@]}" --min-bytes 1MiB \
      --no-progress --collectives allgather,broadcast --impls ronde
  done
  "$CLUSTER_SH" down >/dev/null 2>&1 || true
  trap - EXIT
}

bench_cluster() {
  local allreduce collectives engine csv hosts rate quick=${#QUICK[@]}
  allreduce="$(ensure_target allreduce_bench benchmarks/allreduce_bench)"
  collectives="$(ensure_target collectives_bench benchmarks/collectives_bench)"
  engine="$(ensure_target engine_bench benchmarks/engine_bench)"
  PS_BENCH="$(ensure_target ps_bench benchmarks/ps_bench)"
  csv="$RESULTS/cluster.csv"
  echo "bench,case,impl,ranks,bytes,metric,value" > "$csv"
  local default_hosts="2 4" default_rates="unlimited 10gbit 2gbit"
  # Bandwidth is the question for the collectives (1 MiB and up); allreduce_bench also covers the
  # small sizes, where latency counts.
  local -a sizes=(--max-bytes 64MiB --iters 10) collective_sizes=(--min-bytes 1MiB)
  local -a engine_args=(--iters 10 --sweep-iters 3 --thresholds 4M,64M)
  # One worker on h1; plaintext and mutual TLS (the cross-host deployment's choice).
  local -a ps_args=(--sizes 16M,64M --security plain,mtls --iters 10)
  if ((quick)); then
    default_hosts="2"; default_rates="2gbit"
    sizes=(--quick); collective_sizes=(); engine_args=(--quick); ps_args=(--quick --sizes 16M --security plain,mtls)
  fi
  for hosts in ${RONDE_BENCH_HOSTS:-$default_hosts}; do
    export RONDE_CLUSTER="bench$hosts"
    "$CLUSTER_SH" down >/dev/null 2>&1 || true
    trap '"$CLUSTER_SH" down >/dev/null 2>&1 || true' EXIT
    local up_rc=0
    "$CLUSTER_SH" up "$hosts" >/dev/null || up_rc=$?
    [[ $up_rc -eq 0 ]] || die "cannot start a cluster of $hosts hosts (exit $up_rc; 77: no network namespaces here)"
    for rate in ${RONDE_BENCH_RATES:-$default_rates}; do
      "$CLUSTER_SH" rate "$([[ $rate == unlimited ]] && echo none || echo "$rate")" 2>/dev/null
      echo "cluster,line@$rate,line,$hosts,0,busbw_GBps,$(line_rate_gbps "$rate")" >> "$csv"
      cluster_run "$rate" "$csv" "$allreduce" "${sizes[@]}" --no-progress
      # Open MPI's own ring (its default at 4 ranks is not a ring), as a second MPI peer.
      local ring_csv="$RESULTS/cluster-ring.csv"
      rm -f "$ring_csv"; echo "bench,case,impl,ranks,bytes,metric,value" > "$ring_csv"
      cluster_run "$rate" "$ring_csv" --mca coll_tuned_use_dynamic_rules 1 --mca coll_tuned_allreduce_algorithm 4 \
        "$allreduce" "${sizes[@]}" --impls mpi --no-progress
      tail -n +2 "$ring_csv" | awk -F, -v OFS=, '{ $3 = "mpi_ring"; print }' >> "$csv"
      rm -f "$ring_csv"
      # Gloo's reducescatter returned wrong sums at 64 MiB across hosts at 10gbit (collectives_bench
      # checks every result and stops): it is measured here without Gloo.
      cluster_run "$rate" "$csv" "$collectives" "${sizes[@]}" "${collective_sizes[@]}" --no-progress \
        --collectives allgather,alltoall,broadcast
      cluster_run "$rate" "$csv" "$collectives" "${sizes[@]}" "${collective_sizes[@]}" --no-progress \
        --collectives reducescatter --impls ronde,mpi
      cluster_run "$rate" "$csv" "$engine" "${engine_args[@]}"
      # One server, then (with 4 hosts) one on each other host.
      cluster_ps "$rate" "$csv" "$hosts" "${ps_args[@]}" --servers "$([[ $hosts -gt 2 ]] && echo "1,$((hosts - 1))" || echo 1)"
    done
    "$CLUSTER_SH" down >/dev/null 2>&1 || true
    trap - EXIT
  done
  [[ " ${RONDE_BENCH_HOSTS:-$default_hosts} " == *" 2 "* ]] && cluster_two_by_two "$allreduce" "$collectives" "$csv" "${RONDE_BENCH_RATES:-$default_rates}" "${sizes[@]}"
  /usr/bin/python3 "$ROOT/scripts/cluster_report.py" "$csv" | tee "$RESULTS/cluster.txt"
  PLOTS=""
  for rate in ${RONDE_BENCH_RATES:-$default_rates}; do
    plot cluster --case "f32_sum@$rate" --output "$RESULTS/cluster-allreduce-$rate.png" \
      --title "allreduce across hosts, $rate links (busbw)"
    PLOTS+="${PLOTS:+, }bench-results/cluster-allreduce-$rate.png"
  done
}

main() {
  local name="" arg
  QUICK=()
  for arg in "$@"; do
    case "$arg" in
      --help|-h) usage; exit 0 ;;
      --quick) QUICK=(--quick) ;;
      -*) echo "bench.sh: unknown option '$arg'" >&2; usage >&2; exit 2 ;;
      *)
        [[ -z "$name" ]] || { echo "bench.sh: one benchmark at a time ('$name', '$arg')" >&2; usage >&2; exit 2; }
        name="$arg" ;;
    esac
  done
  if [[ -z "$name" ]]; then usage >&2; exit 2; fi

  if [[ ${#QUICK[@]} -gt 0 ]]; then TIMEOUT="${RONDE_BENCH_TIMEOUT:-180}"; else TIMEOUT="${RONDE_BENCH_TIMEOUT:-3600}"; fi
  RESULTS="$ROOT/bench-results"
  mkdir -p "$RESULTS"
  cd "$ROOT"

  local start=$SECONDS
  PLOTS="bench-results/$name.png"   # what the benchmark plotted; a bench_NAME may say otherwise
  case "$name" in
    allreduce) bench_allreduce ;;
    collectives) bench_collectives ;;
    engine) bench_engine ;;
    optim) bench_optim ;;
    storage) bench_storage ;;
    checkpoint) bench_checkpoint ;;
    ps) bench_ps ;;
    cluster) bench_cluster ;;
    *)
      echo "bench.sh: unknown benchmark '$name' (available: ${BENCHMARKS[*]})" >&2
      usage >&2
      exit 2 ;;
  esac
  echo "bench.sh: $name done in $((SECONDS - start)) s: bench-results/$name.csv, $PLOTS" >&2
}

main "$@"

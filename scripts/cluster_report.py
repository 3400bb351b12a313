#!/usr/bin/python3
"""Summarise bench-results/cluster.csv (scripts/bench.sh cluster) as a table.

The CSV has the usual header bench,case,impl,ranks,bytes,metric,value; every case carries its
regime after an '@' ("allreduce@2gbit"), and each regime has one row
`cluster,line@RATE,line,RANKS,0,busbw_GBps,V`: the link's line rate in GB/s (0 when unlimited).

Rows whose case ends in "_2x2" come from 2 hosts x 2 ranks (scripts/bench.sh: hierarchical
allreduce as impl "ronde", the flat ring as "ronde_flat"); they show as collective
"allreduce_2x2" under 2 hosts, where "of line" is busbw over line rate as for the flat ring
(the hierarchical path moves only 2(H-1)/H of the buffer per link, so it can exceed 1).

Prints, per host count and rate: each collective's busbw for ronde and its peers at the chosen
sizes, ronde's busbw as a fraction of the line rate, and ronde's ratio to each peer; the small
allreduces' latency; the engine's ResNet-50 step against one MPI_Allreduce per tensor and the
single-buffer floor; and the parameter server's push+pull against a bare gRPC stream (ps rows:
case "push_pull_SECURITY_Nsrv", the host count in the ranks column).

    /usr/bin/python3 scripts/cluster_report.py bench-results/cluster.csv [--sizes 1MiB,64MiB]
"""
import argparse
import collections
import csv
import sys

HEADER = ["bench", "case", "impl", "ranks", "bytes", "metric", "value"]
PEERS = ["mpi", "mpi_ring", "gloo", "ronde_flat"]


def parse_size(text):
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "B": 1}
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return int(float(text[: -len(suffix)]) * factor)
    return int(text)


def human_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:g} {unit}"
        n /= 1024
    return str(n)


def rate_order(rate):
    """unlimited first, then fastest to slowest."""
    if rate == "unlimited":
        return (0, 0)
    digits = "".join(c for c in rate if c.isdigit())
    scale = {"gbit": 1e9, "mbit": 1e6, "kbit": 1e3}.get(rate.lstrip("0123456789"), 1)
    return (1, -float(digits or 0) * scale)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("--sizes", default="64KiB,1MiB,16MiB,64MiB",
                        help="message sizes to show busbw for (default 64KiB,1MiB,16MiB,64MiB)")
    parser.add_argument("--latency-sizes", default="4B,64KiB",
                        help="allreduce sizes to show the latency of (default 4B,64KiB)")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",")]
    latency_sizes = [parse_size(s) for s in args.latency_sizes.split(",")]

    with open(args.csv, newline="") as f:
        reader = csv.reader(f)
        if next(reader, None) != HEADER:
            sys.exit(f"cluster_report.py: {args.csv}: not a ronde benchmark CSV")
        rows = [dict(zip(HEADER, r)) for r in reader if r]

    busbw = collections.defaultdict(dict)   # (ranks, rate, case, bytes) -> impl -> GB/s
    line = {}                               # (ranks, rate) -> GB/s
    engine = collections.defaultdict(dict)  # (ranks, rate) -> impl -> seconds
    latency = collections.defaultdict(dict)  # (ranks, rate, bytes) -> impl -> seconds (allreduce)
    ps = collections.defaultdict(dict)      # (hosts, rate, case, bytes) -> impl -> GB/s
    for r in rows:
        case, _, rate = r["case"].partition("@")
        ranks, value = int(r["ranks"]), float(r["value"])
        if r["impl"] == "line":
            line[(ranks, rate)] = value
        elif r["bench"] == "engine" and case == "resnet50_step" and r["metric"] == "seconds_median":
            engine[(ranks, rate)][r["impl"]] = value
        elif r["bench"] == "ps" and r["metric"] == "GBps":
            ps[(ranks, rate, case, int(r["bytes"]))][r["impl"]] = value
        elif r["bench"] == "allreduce" and r["metric"] == "seconds_median" and not case.endswith("_2x2"):
            latency[(ranks, rate, int(r["bytes"]))][r["impl"]] = value
        elif r["metric"] == "busbw_GBps" and r["bench"] in ("allreduce", "collectives"):
            name = case if r["bench"] == "collectives" else "allreduce" + ("_2x2" if case.endswith("_2x2") else "")
            busbw[(ranks, rate, name, int(r["bytes"]))][r["impl"]] = value

    regimes = sorted({(k[0], k[1]) for k in busbw} | set(engine) | {(k[0], k[1]) for k in ps},
                     key=lambda k: (k[0], rate_order(k[1])))
    print("busbw in GB/s (1e9 B/s); 'line' = the link's line rate; ratios are ronde / peer, same run")
    head = f"{'hosts':>5} {'rate':>9} {'collective':<13} {'bytes':>8} {'ronde':>7} {'of line':>7}"
    head += "".join(f" {p:>8}" for p in PEERS) + "".join(f" {'/' + p:>9}" for p in PEERS)
    print(head)
    for ranks, rate in regimes:
        cases = sorted({k[2] for k in busbw if k[0] == ranks and k[1] == rate})
        for case in cases:
            for size in sizes:
                impls = busbw.get((ranks, rate, case, size))
                if not impls or "ronde" not in impls:
                    continue
                ronde = impls["ronde"]
                rate_gbps = line.get((ranks, rate), 0)
                of_line = f"{ronde / rate_gbps:7.2f}" if rate_gbps else f"{'-':>7}"
                text = f"{ranks:>5} {rate:>9} {case:<13} {human_bytes(size):>8} {ronde:7.3f} {of_line}"
                text += "".join(f" {impls[p]:8.3f}" if p in impls else f" {'-':>8}" for p in PEERS)
                text += "".join(f" {ronde / impls[p]:8.2f}x" if impls.get(p) else f" {'-':>9}" for p in PEERS)
                print(text)
    if any(latency.get((ranks, rate, size)) for ranks, rate in regimes for size in latency_sizes):
        print("\nsmall allreduces: median latency in microseconds; ratios are ronde / peer time (lower is better)")
        print(f"{'hosts':>5} {'rate':>9} {'bytes':>8} {'ronde':>8}" + "".join(f" {p:>8}" for p in PEERS)
              + "".join(f" {'/' + p:>9}" for p in PEERS))
        for ranks, rate in regimes:
            for size in latency_sizes:
                impls = latency.get((ranks, rate, size))
                if not impls or "ronde" not in impls:
                    continue
                ronde = impls["ronde"]
                text = f"{ranks:>5} {rate:>9} {human_bytes(size):>8} {ronde * 1e6:8.1f}"
                text += "".join(f" {impls[p] * 1e6:8.1f}" if p in impls else f" {'-':>8}" for p in PEERS)
                text += "".join(f" {ronde / impls[p]:8.2f}x" if impls.get(p) else f" {'-':>9}" for p in PEERS)
                print(text)
    if engine:
        print("\nengine: ResNet-50 step (161 float32 tensors, 102 MB), median seconds")
        print(f"{'hosts':>5} {'rate':>9} {'engine':>9} {'per-tensor':>10} {'floor':>9} "
              f"{'per-tensor/engine':>17} {'engine/floor':>12}")
        for ranks, rate in regimes:
            e = engine.get((ranks, rate))
            if not e or "ronde_engine" not in e:
                continue
            eng, per, floor = e["ronde_engine"], e.get("mpi_per_tensor"), e.get("ronde_single_buffer")
            print(f"{ranks:>5} {rate:>9} {eng:9.4f} {per or 0:10.4f} {floor or 0:9.4f} "
                  f"{(per / eng if per else 0):16.2f}x {(eng / floor if floor else 0):11.2f}x")
    if ps:
        print("\nparameter server: one worker on h1, push+pull GB/s (bytes pushed + pulled per second; "
              "push and pull take turns, so the line rate is the ceiling)")
        print(f"{'hosts':>5} {'rate':>9} {'case':<22} {'bytes':>8} {'ronde':>7} {'of line':>7} {'grpc':>7} "
              f"{'ronde/grpc':>10}")
        for ranks, rate in regimes:
            for key in sorted(k for k in ps if k[0] == ranks and k[1] == rate):
                impls = ps[key]
                if "ronde" not in impls:
                    continue
                ronde, grpc = impls["ronde"], impls.get("grpc")
                rate_gbps = line.get((ranks, rate), 0)
                of_line = f"{ronde / rate_gbps:7.2f}" if rate_gbps else f"{'-':>7}"
                grpc_text = f"{grpc:7.3f}" if grpc else f"{'-':>7}"
                ratio = f"{ronde / grpc:9.2f}x" if grpc else f"{'-':>10}"
                print(f"{ranks:>5} {rate:>9} {key[2]:<22} {human_bytes(key[3]):>8} {ronde:7.3f} {of_line} "
                      f"{grpc_text} {ratio}")


if __name__ == "__main__":
    main()

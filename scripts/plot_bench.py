#!/usr/bin/python3
"""Plot a ronde benchmark CSV (header bench,case,impl,ranks,bytes,metric,value) to a PNG.

One subplot per `ranks` value; x = bytes (log2 axis), y = the chosen metric; one line per impl
(per impl and case when the CSV holds several cases, per bench as well when it holds several).

    /usr/bin/python3 scripts/plot_bench.py bench-results/allreduce.csv \
        [--output bench-results/allreduce.png] [--metric busbw_GBps] [--case f32_sum] [--title T]
        [--ranks-name server] [--xlabel "model size (bytes)"]

Run it with Debian's /usr/bin/python3 (python3-matplotlib), not another python3 on PATH.
"""
import argparse
import collections
import csv
import math
import os
import sys

HEADER = ["bench", "case", "impl", "ranks", "bytes", "metric", "value"]
# Same colour for the same implementation in every plot.
IMPL_STYLE = {
    "ronde": dict(color="tab:red", marker="o"),
    "mpi": dict(color="tab:blue", marker="s"),
    "gloo": dict(color="tab:green", marker="^"),
    "grpc": dict(color="tab:gray", marker="D"),
}


def human_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:g} {unit}" if n == int(n) else f"{n:.1f} {unit}"
        n /= 1024.0
    return str(n)


def read_rows(path):
    with open(path, newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != HEADER:
            sys.exit(f"plot_bench.py: {path}: header {header!r}, expected {','.join(HEADER)}")
        rows = []
        for lineno, rec in enumerate(reader, start=2):
            if not rec:
                continue
            if len(rec) != len(HEADER):
                sys.exit(f"plot_bench.py: {path}:{lineno}: {len(rec)} fields, expected {len(HEADER)}")
            row = dict(zip(HEADER, rec))
            try:
                row["ranks"] = int(row["ranks"])
                row["bytes"] = int(row["bytes"])
                row["value"] = float(row["value"])
            except ValueError as e:
                sys.exit(f"plot_bench.py: {path}:{lineno}: {e}")
            rows.append(row)
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("csv", help="benchmark CSV")
    p.add_argument("-o", "--output", help="PNG to write (default: the CSV's name with .png)")
    p.add_argument("--metric", default="busbw_GBps", help="metric to plot (default busbw_GBps)")
    p.add_argument("--case", action="append", help="only these cases (repeatable)")
    p.add_argument("--bench", action="append", help="only these benches (repeatable)")
    p.add_argument("--title", help="figure title (default: the bench names)")
    p.add_argument("--ranks-name", default="rank",
                   help="what the CSV's ranks column counts, for subplot titles (default rank)")
    p.add_argument("--xlabel", default="message size (bytes)", help="x axis label")
    p.add_argument("--color-by-case", action="store_true",
                   help="with several cases: one colour per case, and the line style per impl "
                        "(solid for the first impl in IMPL_STYLE order, dashed for the others)")
    args = p.parse_args()

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    rows = read_rows(args.csv)
    if args.bench:
        rows = [r for r in rows if r["bench"] in args.bench]
    if args.case:
        rows = [r for r in rows if r["case"] in args.case]
    metrics = sorted({r["metric"] for r in rows})
    selected = [r for r in rows if r["metric"] == args.metric]
    if not selected:
        sys.exit(f"plot_bench.py: no '{args.metric}' rows in {args.csv} "
                 f"(metrics there: {', '.join(metrics) or 'none'})")

    benches = sorted({r["bench"] for r in selected})
    cases = sorted({r["case"] for r in selected})

    def label(r):
        parts = [r["impl"]]
        if len(cases) > 1:
            parts.append(r["case"])
        if len(benches) > 1:
            parts.insert(0, r["bench"])
        return " / ".join(parts)

    # series[ranks][label] = {bytes: value}; a repeated point (appended runs) keeps the last one.
    series = collections.defaultdict(lambda: collections.defaultdict(dict))
    impl_of = {}
    case_of = {}
    for r in selected:
        key = label(r)
        series[r["ranks"]][key][r["bytes"]] = r["value"]
        impl_of[key] = r["impl"]
        case_of[key] = r["case"]

    ranks_values = sorted(series)
    ncols = min(len(ranks_values), 3)
    nrows = math.ceil(len(ranks_values) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(6.0 * ncols, 4.2 * nrows), squeeze=False,
                             sharey=True)
    log_x = all(r["bytes"] > 0 for r in selected)
    for idx, ranks in enumerate(ranks_values):
        ax = axes[idx // ncols][idx % ncols]
        for key in sorted(series[ranks], key=lambda k: (list(IMPL_STYLE).index(impl_of[k])
                                                        if impl_of[k] in IMPL_STYLE else 99, k)):
            points = sorted(series[ranks][key].items())
            xs = [b for b, _ in points]
            ys = [v for _, v in points]
            style = dict(IMPL_STYLE.get(impl_of[key], dict(marker=".")))
            if len(cases) > 1 or len(benches) > 1:
                style.pop("color", None)
                if args.color_by_case:
                    style["color"] = f"C{cases.index(case_of[key]) % 10}"
                    first_impl = min(impl_of.values(), key=lambda i: list(IMPL_STYLE).index(i)
                                     if i in IMPL_STYLE else 99)
                    style["linestyle"] = "-" if impl_of[key] == first_impl else "--"
            ax.plot(xs, ys, label=key, linewidth=1.6, markersize=4, **style)
        if log_x:
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: human_bytes(x)))
            for tick in ax.get_xticklabels():
                tick.set_rotation(45)
                tick.set_horizontalalignment("right")
        ax.set_title(f"{ranks} {args.ranks_name}{'s' if ranks != 1 else ''}")
        ax.set_xlabel(args.xlabel)
        if idx % ncols == 0:
            ax.set_ylabel(args.metric)
        ax.grid(True, which="major", alpha=0.35)
        ax.legend(fontsize=8)
    for idx in range(len(ranks_values), nrows * ncols):
        axes[idx // ncols][idx % ncols].set_visible(False)

    title = args.title or ", ".join(benches)
    case_note = f" ({', '.join(cases)})" if len(cases) == 1 else ""
    fig.suptitle(f"{title}{case_note}: {args.metric} vs {args.xlabel.split(' (')[0]}")
    fig.tight_layout()
    out = args.output or os.path.splitext(args.csv)[0] + ".png"
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out, dpi=110)
    print(f"plot_bench.py: wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

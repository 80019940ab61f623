#!/usr/bin/python3
"""bench/report.py OUTDIR [--header H] [--nic RAW] [--odp RAW] [--ucx RAW]

Merge the raw records of bench/nic.sh, bench/odp.sh and bench/ucx.sh
(tab-separated "case, device, round, value, unit") into
OUTDIR/{nic,odp,ucx}.{txt,json}, and print one ratio table on stdout.  Only
the parts given are written and printed (bench/run passes the parts it
ran): every ratio in the table comes from this run.

Every ratio compares two series measured in the same VM run, interleaved.
It is the ratio of their medians; its spread runs from the least to the
most favourable pairing of single runs (min/max, max/min).  A verdict is
given only when the whole spread is on one side of the goal; otherwise
"no verdict".
"""
import argparse
import json
import re
import statistics
import sys


DROPPED = []


def load(path):
    series = {}
    units = {}
    try:
        f = open(path)
    except FileNotFoundError:
        return series, units
    with f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 5:
                continue
            case, dev, _round, value, unit = parts
            try:
                v = float(value)
            except ValueError:
                v = 0.0
            if v <= 0:	# perftest printed 0.00: a stalled run, not a rate
                DROPPED.append(f"{case} {dev} round {_round}: {value}")
                continue
            series.setdefault((case, dev), []).append(v)
            units[case] = unit
    return series, units


class Ratio:
    """num/den of two series; higher=True when bigger is better."""

    def __init__(self, group, what, num, den, higher, goal=None):
        self.group, self.what = group, what
        self.num, self.den = num, den
        self.higher, self.goal = higher, goal

    def compute(self, series):
        a, b = series.get(self.num), series.get(self.den)
        if not a or not b or min(b) <= 0:
            return None
        r = statistics.median(a) / statistics.median(b)
        lo, hi = min(a) / max(b), max(a) / min(b)
        if self.goal is None:
            verdict = ""
        elif self.higher:
            verdict = "met" if lo >= self.goal else \
                "missed" if hi < self.goal else "no verdict"
        else:
            verdict = "met" if hi <= self.goal else \
                "missed" if lo > self.goal else "no verdict"
        goal = "" if self.goal is None else \
            ("≥ " if self.higher else "≤ ") + f"{self.goal:g}"
        return {
            "group": self.group, "what": self.what,
            "num": " ".join(self.num), "den": " ".join(self.den),
            "ratio": r, "lo": lo, "hi": hi, "n": min(len(a), len(b)),
            "goal": goal, "verdict": verdict,
            "better": "higher" if self.higher else "lower",
        }


def nic_ratios():
    out = []
    for test in ("write_bw", "read_bw", "send_bw"):
        for size in ("4K", "64K", "1M"):
            case = f"{test} {size}"
            out.append(Ratio("nic", f"{case} odph/rxe", (case, "odph"),
                             (case, "rxe"), True,
                             2.0 if size == "64K" else None))
    out.append(Ratio("nic", "write_lat 8B odph/rxe (median)",
                     ("write_lat 8B", "odph"), ("write_lat 8B", "rxe"),
                     False, 0.8))
    out.append(Ratio("nic", "write_lat 8B odph/rxe (p99)",
                     ("write_lat 8B p99", "odph"), ("write_lat 8B p99", "rxe"),
                     False))
    return out


def odp_ratios(series):
    p = "pass 64M "
    out = [
        Ratio("odp", "ib_write_bw 64K: ODP warm / pinned",
              ("write_bw 64K", "odph-odp"), ("write_bw 64K", "odph-pinned"),
              True, 0.98),
        Ratio("odp", "64M pass, 2nd (warm): ODP / pinned",
              (p + "warm_MBps", "odp"), (p + "warm_MBps", "pinned"), True,
              0.98),
        Ratio("odp", "64M cold 1st pass: ODP / pinned",
              (p + "cold_MBps", "odp"), (p + "cold_MBps", "pinned"), True,
              0.5),
        Ratio("odp", "64M cold pass after prefetch / pinned",
              (p + "cold_MBps", "odp-prefetch"), (p + "cold_MBps", "pinned"),
              True, 0.5),
        Ratio("odp", "64M cold pass incl. prefetch time / pinned",
              (p + "cold_incl_prefetch_MBps", "odp-prefetch"),
              (p + "cold_MBps", "pinned"), True, 0.5),
        Ratio("odp", "reg 1 GiB: ODP explicit / pinned (time)",
              ("reg 1G", "odp_ms"), ("reg 1G", "pinned_ms"), False),
        Ratio("odp", "reg 1 GiB: ODP implicit / pinned (time)",
              ("reg 1G", "implicit_ms"), ("reg 1G", "pinned_ms"), False),
    ]
    windows = sorted({int(d.split()[1]) for (c, d) in series
                      if d.startswith("window ")})
    sweep = sorted({c for (c, d) in series if d.startswith("window ")})
    base = windows[0] if windows else None
    for w in windows:
        for c in sweep:
            out.append(Ratio("window", f"cold {c.split()[1]} pass, window "
                             f"{w // 1024}K / 4K", (c, f"window {w}"),
                             (c, f"window {base}"), True))
    return out, windows


UCX_TESTS = ("tag_bw", "ucp_put_bw")
UCX_GOAL = 0.95


def size_bytes(label):
    """8B, 4K, 64K, 1M -> bytes."""
    m = re.fullmatch(r"(\d+)([BKM])", label)
    return int(m.group(1)) * {"B": 1, "K": 1024, "M": 1 << 20}[m.group(2)]


def ucx_sizes(series):
    return sorted({c.split()[1] for (c, d) in series
                   if c.split()[0] in UCX_TESTS}, key=size_bytes)


def ucx_ratios(series):
    return [Ratio("ucx", f"ucx {t} {size}: ODP / rcache",
                  (f"{t} {size}", "odp"), (f"{t} {size}", "rcache"), True,
                  UCX_GOAL)
            for t in UCX_TESTS for size in ucx_sizes(series)]


def ucx_table(series, rows):
    """The bandwidth of both methods and their ratio, per test and size."""
    by = {r["num"].rsplit(" ", 1)[0]: r for r in rows}
    lines = [f"{'test':<11} {'size':>5} {'odp MB/s':>9} {'rcache MB/s':>11} "
             f"{'ODP/rcache':>10}  {'spread':<12} {'n':>2}  {'goal':<7} "
             "verdict"]
    sweep = []
    for t in UCX_TESTS:
        for size in ucx_sizes(series):
            case = f"{t} {size}"
            a, b = series.get((case, "odp")), series.get((case, "rcache"))
            r = by.get(case)
            ma = statistics.median(a) if a else None
            mb = statistics.median(b) if b else None
            sweep.append({"test": t, "size": size, "bytes": size_bytes(size),
                          "odp_MBps": ma, "rcache_MBps": mb,
                          "ratio": r and r["ratio"], "lo": r and r["lo"],
                          "hi": r and r["hi"], "n": r and r["n"],
                          "verdict": r["verdict"] if r else "no data"})
            fa = f"{ma:.4g}" if ma else "-"
            fb = f"{mb:.4g}" if mb else "-"
            if r:
                spread = f"{r['lo']:.3g}..{r['hi']:.3g}"
                lines.append(f"{t:<11} {size:>5} {fa:>9} {fb:>11} "
                             f"{r['ratio']:>10.3g}  {spread:<12} {r['n']:>2}  "
                             f"{r['goal']:<7} {r['verdict']}")
            else:
                lines.append(f"{t:<11} {size:>5} {fa:>9} {fb:>11} "
                             f"{'-':>10}  {'':<12} {'':>2}  {'':<7} no data")
    count = {}
    for x in sweep:
        count.setdefault(x["verdict"], []).append(f"{x['test']} {x['size']}")
    summary = [f"goal ODP/rcache >= {UCX_GOAL:g} (each size; a verdict only "
               "when the whole spread is on one side):"]
    for v in ("met", "missed", "no verdict", "no data"):
        if v in count:
            summary.append(f"  {v}: {len(count[v])} of {len(sweep)} "
                           f"({', '.join(count[v])})")
    return lines, summary, sweep


def best_window(series, windows):
    best = None
    for w in windows:
        v = [x for (c, d), x in series.items() if d == f"window {w}"]
        v = v[0] if v else None
        if v and (best is None or statistics.median(v) > best[1]):
            best = (w, statistics.median(v))
    return best


def fmt_row(r):
    spread = f"{r['lo']:.3g}..{r['hi']:.3g}"
    return (f"{r['what']:<46} {r['ratio']:6.3g}  {spread:<14} "
            f"{r['n']:>2}  {r['goal']:<7} {r['verdict']}")


HEAD = (f"{'ratio':<46} {'median':>6}  {'spread':<14} {'n':>2}  "
        f"{'goal':<7} verdict")


def series_table(series, units):
    lines = [f"{'case':<34} {'device':<14} {'median':>10} unit   runs"]
    for (case, dev), v in sorted(series.items()):
        runs = " ".join(f"{x:g}" for x in v)
        lines.append(f"{case:<34} {dev:<14} {statistics.median(v):>10.4g} "
                     f"{units.get(case, ''):<6} {runs}")
    return lines


def write(outdir, name, header, series, units, rows, extra=(), table=None,
          more=None):
    txt = [header] + (table or [HEAD] + [fmt_row(r) for r in rows])
    txt += list(extra)
    txt += ["", "raw series (one value per round):"]
    txt += series_table(series, units)
    with open(f"{outdir}/{name}.txt", "w") as f:
        f.write("\n".join(txt) + "\n")
    with open(f"{outdir}/{name}.json", "w") as f:
        data = {"ratios": rows,
                "series": [{"case": c, "device": d, "unit": units.get(c),
                            "values": v}
                           for (c, d), v in sorted(series.items())]}
        data.update(more or {})
        json.dump(data, f, indent=1)
        f.write("\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--header", default="# ib_odp_hmm bench")
    for p in ("nic", "odp", "ucx"):
        ap.add_argument(f"--{p}", metavar="RAW")
    args = ap.parse_args(argv)
    outdir, header = args.outdir, args.header
    printed, extra, expected = [], [], 0
    if args.nic:
        nic, nic_units = load(args.nic)
        nic_rows = [r for r in (x.compute(nic) for x in nic_ratios()) if r]
        expected += len(nic_ratios())
        nic_dropped = [f"dropped (zero or unreadable): {x}" for x in DROPPED]
        write(outdir, "nic", header + " — odph vs rdma_rxe (perftest)",
              nic, nic_units, nic_rows, nic_dropped)
        printed.append(nic_rows)
    if args.odp:
        n0 = len(DROPPED)
        odp, odp_units = load(args.odp)
        odp_list, windows = odp_ratios(odp)
        odp_rows = [r for r in (x.compute(odp) for x in odp_list) if r]
        expected += len(odp_list)
        best = best_window(odp, windows)
        if best:
            extra.append(f"fastest cold pass: odp_window {best[0]} "
                         f"({best[0] // 1024} KiB), median {best[1]:.4g} MB/s")
        write(outdir, "odp", header + " — ODP on odph vs pinned",
              odp, odp_units, odp_rows,
              extra + [f"dropped (zero or unreadable): {x}"
                       for x in DROPPED[n0:]])
        printed.append(odp_rows)
    if args.ucx:
        n0 = len(DROPPED)
        ucx, ucx_units = load(args.ucx)
        ucx_list = ucx_ratios(ucx)
        ucx_rows = [r for r in (x.compute(ucx) for x in ucx_list) if r]
        expected += len(ucx_list)
        table, summary, sweep = ucx_table(ucx, ucx_rows)
        dropped = [f"dropped (zero or unreadable): {x}" for x in DROPPED[n0:]]
        write(outdir, "ucx", header + " — UCX 1.13.1 on odph, "
              "UCX_IB_REG_METHODS=odp vs rcache (ucx_perftest, MB/s)",
              ucx, ucx_units, ucx_rows, [""] + summary + dropped, table,
              {"sweep": sweep, "goal": UCX_GOAL})
        printed.append(ucx_rows)
        extra += summary
    print(header)
    print(HEAD)
    for rows in printed:
        for r in rows:
            print(fmt_row(r))
    for line in extra:
        print(line)
    for line in DROPPED:
        print(f"dropped (zero or unreadable): {line}")
    missing = expected - sum(len(rows) for rows in printed)
    if missing:
        print(f"{missing} ratios without data (a run failed; see the log)")
    return 0 if printed and all(printed) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

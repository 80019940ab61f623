#!/usr/bin/python3
"""bench/plot.py SRC.json DST.png: every ratio of a run as one bar.

SRC is bench/results/mirror.json (name -> {what, vs, ratio}) or a
bench/report.py output (nic.json, odp.json: "ratios" with spread, goal
and verdict), drawn with the spread as an error bar and the goal marked.
A size sweep (ucx.json: "sweep") is drawn against the message size
instead: both series' bandwidth, and their ratio with its spread and goal.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import NullFormatter  # noqa: E402


VERDICT_COLOUR = {"met": "#55a868", "missed": "#c44e52",
                  "no verdict": "#dd8452", "": "#4c72b0"}


def plot_ratios(data, dst):
    rows = data["ratios"]
    names = [r["what"] for r in rows]
    ratios = [r["ratio"] for r in rows]
    err = [[r["ratio"] - r["lo"] for r in rows],
           [r["hi"] - r["ratio"] for r in rows]]
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(names) + 1.8))
    y = range(len(names))
    bars = ax.barh(y, ratios, xerr=err, capsize=2,
                   color=[VERDICT_COLOUR.get(r["verdict"], "#4c72b0")
                          for r in rows])
    for i, r in enumerate(rows):
        if r["goal"]:
            g = float(r["goal"].split()[1])
            ax.plot([g, g], [i - 0.4, i + 0.4], color="black", lw=1.5)
    ax.set_yticks(list(y), names, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("ratio of medians, same VM run (log scale); error bar: "
                  "spread over rounds; black tick: goal; green met, red "
                  "missed, orange no verdict", fontsize=7)
    ax.set_title("ib_odp_hmm: " + dst.rsplit("/", 1)[-1].split(".")[0] +
                 " ratios")
    for bar, r in zip(bars, ratios):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                f" {r:.3g}", va="bottom", fontsize=7)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


def plot_sweep(data, dst):
    sweep = [x for x in data["sweep"] if x["ratio"] is not None]
    tests = sorted({x["test"] for x in sweep})
    fig, (bw, rt) = plt.subplots(1, 2, figsize=(11, 4.3))
    marks = dict(zip(tests, "os^v"))
    colours = dict(zip(tests, ("#8172b3", "#937860", "#64b5cd", "#da8bc3")))
    for t in tests:
        xs = [x for x in sweep if x["test"] == t]
        sizes = [x["bytes"] for x in xs]
        for key, style in (("odp_MBps", "-"), ("rcache_MBps", "--")):
            bw.plot(sizes, [x[key] for x in xs], style, marker=marks[t],
                    color=colours[t], label=f"{t}, {key.split('_')[0]}")
        rt.errorbar(sizes, [x["ratio"] for x in xs],
                    yerr=[[x["ratio"] - x["lo"] for x in xs],
                          [x["hi"] - x["ratio"] for x in xs]],
                    marker=marks[t], ms=0, capsize=3, color=colours[t],
                    label=t, alpha=0.8)
        for x in xs:
            rt.plot(x["bytes"], x["ratio"], marker=marks[t], ms=8, ls="",
                    mec=colours[t],
                    color=VERDICT_COLOUR.get(x["verdict"], "#4c72b0"))
            rt.annotate(f"{x['ratio']:.2f}", (x["bytes"], x["ratio"]),
                        textcoords="offset points", xytext=(5, 3), fontsize=7)
    if data.get("goal"):
        rt.axhline(data["goal"], color="black", lw=1.2,
                   label=f"goal {data['goal']:g}")
    rt.axhline(1.0, color="grey", lw=0.8, ls="--")
    ticks = sorted({x["bytes"] for x in sweep})
    labels = {x["bytes"]: x["size"] for x in sweep}
    for ax in (bw, rt):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [labels[b] for b in ticks])
        ax.set_xlabel("message size")
        ax.legend(fontsize=7)
    bw.set_yscale("log")
    bw.set_ylabel("MB/s (median of rounds)")
    bw.set_title("bandwidth: ODP (solid) vs rcache (dashed)", fontsize=9)
    rt.set_yscale("log")
    lo = min(x["lo"] for x in sweep)
    hi = max(x["hi"] for x in sweep)
    yt = [2.0 ** k for k in range(-6, 7) if lo / 2 <= 2.0 ** k <= hi * 2]
    rt.set_yticks(yt, [f"{v:g}" for v in yt])
    rt.yaxis.set_minor_formatter(NullFormatter())
    rt.set_ylabel("ODP / rcache (ratio of medians, log scale)")
    rt.set_title("ratio, same VM run; bar: spread; marker: green met, "
                 "red missed, orange no verdict", fontsize=8)
    fig.suptitle("ib_odp_hmm: " + dst.rsplit("/", 1)[-1].split(".")[0] +
                 ": ucx_perftest on odph, UCX_IB_REG_METHODS odp vs "
                 "rcache", fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


def main(src, dst):
    with open(src) as f:
        rows = json.load(f)
    if isinstance(rows, dict) and "sweep" in rows:
        plot_sweep(rows, dst)
        return
    if isinstance(rows, dict) and "ratios" in rows:
        plot_ratios(rows, dst)
        return
    rows = dict(rows)
    names = [v["what"] + "\nvs " + v["vs"] for v in rows.values()]
    ratios = [v["ratio"] for v in rows.values()]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(names) + 1.5))
    bars = ax.barh(range(len(names)), ratios, color="#4c72b0")
    ax.set_yticks(range(len(names)), names, fontsize=7)
    ax.invert_yaxis()
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_xlabel("ratio (same VM run, log scale)")
    ax.set_title("ib_odp_hmm mirror core: ratios measured side by side")
    for bar, r in zip(bars, ratios):
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2,
                f" {r:.3g}", va="center", fontsize=7)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

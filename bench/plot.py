#!/usr/bin/python3
"""bench/plot.py SRC.json DST.png: every ratio of a run as one bar.

SRC is bench/results/mirror.json (name -> {what, vs, ratio}) or a
bench/report.py output (nic.json, odp.json: "ratios" with spread, goal
and verdict), drawn with the spread as an error bar and the goal marked.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


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


def main(src, dst):
    with open(src) as f:
        rows = json.load(f)
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

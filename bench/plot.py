#!/usr/bin/python3
"""Plot bench/results/mirror.json: every ratio of the run as one bar."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src, dst):
    with open(src) as f:
        rows = json.load(f)
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

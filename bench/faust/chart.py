"""Bar chart of bench/results/faust.json: per workload, Python Faust vs Faustus, with the ratio on top.

  python chart.py faust.json faust.png
Each workload gets its own panel (units differ); exits 3 when matplotlib is missing.
"""
import json
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.stderr.write("matplotlib is not installed (bash scripts/faust-venv.sh --plot)\n")
    sys.exit(3)


def main(src: str, dst: str) -> None:
    report = json.load(open(src))
    rows = [r for r in report["rows"] if r["python"] and r["faustus"]]  # a workload that failed has no bar
    cols = min(4, len(rows))
    grid = (len(rows) + cols - 1) // cols
    fig, axes = plt.subplots(grid, cols, figsize=(3.6 * cols, 3.8 * grid), squeeze=False)
    for ax in axes.flat[len(rows):]:
        ax.axis("off")
    for ax, row in zip(axes.flat, rows):
        values = [row["python"], row["faustus"]]
        bars = ax.bar(["Python Faust", "Faustus"], values, color=["#4b8bbe", "#3178c6"])
        ratio = row["faustus"] / row["python"] if row["higherIsBetter"] else row["python"] / row["faustus"]
        ax.set_title(f"{row['workload']}\nFaustus {ratio:.1f}x", fontsize=9)
        ax.set_ylabel(row["unit"] + ("" if row["higherIsBetter"] else " (lower is better)"))
        for bar, value in zip(bars, values):
            label = f"{value:,.0f}" if value >= 100 else f"{value:.2f}"
            ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
    fig.suptitle(f"Python Faust vs Faustus, same broker ({report['date'][:10]}, node {report['node']})", fontsize=10)
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

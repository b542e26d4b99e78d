"""Figures of the data stage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from synecg.constants import SPLITS
from synecg.io import atomic_path


def plot_class_summary(summary: pd.DataFrame, path: str | Path, title: str = "") -> None:
    """Grouped bars: kept records per class (x) and split (colour), counts on a log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(7, 3.5))
    width = 0.8 / len(SPLITS)
    positions = range(len(summary.index))
    for k, split in enumerate(SPLITS):
        counts = summary[split]
        bars = ax.bar([p + (k - 1) * width for p in positions], counts.clip(lower=0.5), width, label=split)
        ax.bar_label(bars, labels=[str(int(c)) for c in counts], fontsize=6, padding=1)
    ax.set_xticks(list(positions), summary.index)
    ax.set_yscale("log")
    ax.set_ylim(0.5, max(2.0, float(summary[list(SPLITS)].to_numpy().max())) * 2.5)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_ylabel("records (log scale)")
    ax.set_title(f"{title}: kept records per class and split" if title else "kept records per class and split")
    ax.legend(frameon=False, fontsize=8, ncols=len(SPLITS), loc="upper right")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)

"""Figures of the classification experiments: transfer-learning curves, augmentation bars,
confusion matrices of the real-only baselines, the forest plot of the answer. Each takes tables (or metrics records) and writes
one PNG; nothing here trains or scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from synecg.constants import CLASSES
from synecg.experiments.aggregate import METRIC_TITLES
from synecg.experiments.settings import REAL_GENERATOR, TRANSFER
from synecg.io import atomic_path


def _save(fig: Figure, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")


def _panels(n: int, width: float = 4.5, height: float = 3.6) -> tuple[Figure, list]:
    fig = Figure(figsize=(width * n, height), layout="constrained")
    axes = fig.subplots(1, n, squeeze=False)[0]
    return fig, list(axes)


def plot_transfer_curves(summary: pd.DataFrame, datasets: Sequence[str], metric: str, path: str | Path) -> None:
    """Metric vs % of real training data, one panel per dataset: one line per generator
    (synthetic pre-training + fine-tuning) and the real-only baseline, shaded bootstrap intervals."""
    fig, axes = _panels(len(datasets))
    for ax, dataset in zip(axes, datasets):
        own = summary[(summary["dataset"] == dataset) & (summary["test_dataset"] == dataset)]
        lines = [(REAL_GENERATOR, own[own["setting"] == "TrRTeR"], "real only")]
        transfer = own[own["family"] == TRANSFER]
        lines += [(g, part, f"{g} pre-trained, {setting}")
                  for (setting, g), part in transfer.groupby(["setting", "generator"], sort=True)]
        for name, part, label in lines:
            part = part.sort_values("fraction")
            if part.empty:
                continue
            x = part["fraction"].to_numpy() * 100
            style = {"color": "black", "linestyle": "--"} if name == REAL_GENERATOR else {}
            line = ax.plot(x, part[f"{metric}_mean"], marker="o", label=label, **style)[0]
            ax.fill_between(x, part[f"{metric}_ci_low"], part[f"{metric}_ci_high"], color=line.get_color(), alpha=0.2)
        ax.set_title(dataset)
        ax.set_xlabel("% of real training data")
        ax.set_ylabel(METRIC_TITLES.get(metric, metric))
        ax.grid(alpha=0.3)
    labelled = {}
    for ax in axes:  # one legend for all panels: the same generators in the same colours
        for handle, label in zip(*ax.get_legend_handles_labels()):
            labelled.setdefault(label, handle)
    if labelled:
        fig.legend(labelled.values(), labelled.keys(), loc="outside lower center", ncols=min(len(labelled), 6), fontsize="small")
    _save(fig, path)


def plot_augmentation_bars(summary: pd.DataFrame, datasets: Sequence[str], metric: str, path: str | Path) -> None:
    """Metric of the real-only baseline and of each generator's augmentation (TrRSTeR) at the
    largest fraction, one panel per dataset, bootstrap-interval error bars."""
    fig, axes = _panels(len(datasets))
    for ax, dataset in zip(axes, datasets):
        own = summary[(summary["dataset"] == dataset) & (summary["test_dataset"] == dataset)
                      & summary["setting"].isin(["TrRTeR", "TrRSTeR"])]
        if own.empty:
            ax.set_title(f"{dataset} (no runs)")
            continue
        own = own[own["fraction"] == own["fraction"].max()]
        base = own[own["setting"] == "TrRTeR"]
        aug = own[own["setting"] == "TrRSTeR"].sort_values("generator")
        bars = pd.concat([base, aug])
        labels = ["real only" if s == "TrRTeR" else f"+ {g}" for s, g in zip(bars["setting"], bars["generator"])]
        mean = bars[f"{metric}_mean"].to_numpy(dtype=float)
        err = np.vstack([mean - bars[f"{metric}_ci_low"].to_numpy(dtype=float), bars[f"{metric}_ci_high"].to_numpy(dtype=float) - mean])
        colors = ["0.6"] + [f"C{i}" for i in range(len(aug))]
        ax.bar(np.arange(len(bars)), mean, yerr=np.nan_to_num(err), color=colors[: len(bars)], capsize=3)
        ax.set_xticks(np.arange(len(bars)), labels, rotation=30, ha="right")
        ax.set_title(f"{dataset}, {bars['fraction'].iloc[0] * 100:.0f} % real data")
        ax.set_ylabel(METRIC_TITLES.get(metric, metric))
        low = bars[f"{metric}_ci_low"].to_numpy(dtype=float)
        high = bars[f"{metric}_ci_high"].to_numpy(dtype=float)
        if np.isfinite(low).any():
            ax.set_ylim(max(0.0, np.nanmin(low) - 0.1), min(1.0, np.nanmax(high) + 0.05))
        ax.grid(axis="y", alpha=0.3)
    _save(fig, path)


def plot_confusion_matrices(records: Mapping[str, Sequence[Mapping[str, Any]]], path: str | Path) -> None:
    """Row-normalised confusion matrix per dataset (key), summed over the given runs' matrices."""
    fig, axes = _panels(len(records), width=4.2, height=4.0)
    for ax, (dataset, runs) in zip(axes, records.items()):
        counts = np.sum([np.asarray(r["confusion_matrix"], dtype=float) for r in runs], axis=0)
        totals = counts.sum(axis=1, keepdims=True)
        share = np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)
        ax.imshow(share, vmin=0, vmax=1, cmap="Blues")
        for i in range(len(CLASSES)):
            for j in range(len(CLASSES)):
                if counts[i, j]:
                    ax.text(j, i, f"{share[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if share[i, j] > 0.5 else "black")
        ax.set_xticks(range(len(CLASSES)), CLASSES, rotation=90, fontsize=7)
        ax.set_yticks(range(len(CLASSES)), CLASSES, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        fraction = runs[0]["fraction"] * 100 if runs else float("nan")
        ax.set_title(f"{dataset}: real only, {fraction:.0f} % of real data, seeds: {len(runs)}", fontsize=9)
    _save(fig, path)


def plot_answer_forest(answer: pd.DataFrame, path: str | Path) -> None:
    """Forest plot of the answer table: per dataset and generator, the paired difference of the
    primary endpoint (augmented minus reference) with its interval, one marker per reference
    (filled: the primary comparison; grey: a control bank), adjusted p-values written beside; zero line dashed."""
    rows = answer.reset_index(drop=True)  # answer_table's order: per dataset the generators, then the controls
    fig = Figure(figsize=(8.0, 0.45 * len(rows) + 1.4), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(rows))[::-1]
    for yi, r in zip(y, rows.to_dict("records")):
        color = "0.5" if r.get("control", False) else "C0" if r["primary"] else "C1"
        ax.errorbar(r["difference"], yi, xerr=[[r["difference"] - r["ci_low"]], [r["ci_high"] - r["difference"]]],
                    fmt="o" if r["primary"] else "s", color=color, mfc=color if r["primary"] else "white", capsize=3)
        p = r["p_bootstrap_adj"]
        ax.annotate("p adj n/a" if np.isnan(p) else f"p adj {p:.3f}", (1.01, yi), xycoords=("axes fraction", "data"),
                    va="center", fontsize=7)
    ax.axvline(0.0, color="black", linestyle="--", linewidth=1)
    ax.set_yticks(y, [f"{r['dataset']} / {r['generator']} vs {r['reference']}" for r in rows.to_dict("records")], fontsize=7)
    metric = rows["metric"].iloc[0] if len(rows) else ""
    frac = rows["fraction"].iloc[0] * 100 if len(rows) else float("nan")
    ax.set_xlabel(f"Δ {METRIC_TITLES.get(metric, metric)} ({rows['setting'].iloc[0] if len(rows) else ''} - reference), "
                  f"{frac:.0f} % real data")
    ax.grid(axis="x", alpha=0.3)
    _save(fig, path)

"""Optimisation history of a hyper-parameter search: every trial's validation metric (completed
and pruned marked apart) and the best value so far, from the trial table of synecg.tuning."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from synecg.io import atomic_path


def plot_optimisation_history(trials: pd.DataFrame, metric: str, path: str | Path) -> None:
    """Validation ``metric`` per trial number; pruned trials at their last reported value are not
    scored (they show as crosses at the bottom); the line is the running best of completed trials."""
    fig = Figure(figsize=(6.5, 3.8), layout="constrained")
    ax = fig.subplots()
    trials = trials.sort_values("number")
    done = trials[trials["state"] == "COMPLETE"]
    pruned = trials[trials["state"] == "PRUNED"]
    ax.scatter(done["number"], done["value"], s=18, label="completed", color="C0")
    if len(pruned):
        floor = np.nanmin(done["value"]) if len(done) else 0.0
        ax.scatter(pruned["number"], np.full(len(pruned), floor), marker="x", color="C3", s=18, label="pruned")
    best = trials["value"].where(trials["state"] == "COMPLETE").cummax()
    ax.step(trials["number"], best, where="post", color="C1", label="best so far")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"validation {metric}")
    ax.set_title(f"{len(trials)} trials: {len(done)} completed, {len(pruned)} pruned")
    ax.legend(loc="lower right", fontsize=8)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight", format="png")

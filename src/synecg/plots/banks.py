"""Figure of a synthetic bank: per class, a real training record beside a synthetic one (12 leads)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from synecg.constants import CLASSES, LEADS  # noqa: E402


def pick_per_class(y: np.ndarray, rng: np.random.Generator) -> dict[int, int | None]:
    """One seeded row index per class (None where the class is absent)."""
    return {c: (int(rng.choice(np.flatnonzero(y == c))) if np.any(y == c) else None) for c in range(len(CLASSES))}


def plot_bank_grid(
    x_real: np.ndarray,
    y_real: np.ndarray,
    x_syn: np.ndarray,
    y_syn: np.ndarray,
    rng: np.random.Generator,
    title: str = "",
    fs: float | None = None,
    lead_gap_mv: float = 2.5,
):
    """A 7 x 2 grid (classes x [real, synthetic]); each panel shows the 12 leads of one (12, L) mV signal
    stacked with ``lead_gap_mv`` between baselines, in canonical order from the top. Returns the Figure."""
    real_rows, syn_rows = pick_per_class(y_real, rng), pick_per_class(y_syn, rng)
    n_classes = len(CLASSES)
    fig, axes = plt.subplots(n_classes, 2, figsize=(12, 2.6 * n_classes), sharex=True, squeeze=False)
    offsets = -lead_gap_mv * np.arange(len(LEADS))
    for c, name in enumerate(CLASSES):
        for col, (x, rows, kind) in enumerate(((x_real, real_rows, "real"), (x_syn, syn_rows, "synthetic"))):
            ax = axes[c, col]
            row = rows[c]
            ax.set_yticks(offsets, LEADS, fontsize=6)
            ax.set_ylim(offsets[-1] - lead_gap_mv, lead_gap_mv)
            ax.set_title(f"{name} - {kind}" + ("" if row is not None else " (none)"), fontsize=8)
            ax.tick_params(axis="x", labelsize=6)
            if row is None:
                continue
            signal = np.asarray(x[row], dtype=np.float32)
            t = np.arange(signal.shape[-1]) / fs if fs else np.arange(signal.shape[-1])
            ax.plot(t, signal.T + offsets, color="black" if kind == "real" else "tab:red", linewidth=0.5)
            ax.plot([t[0], t[0]], [offsets[0], offsets[0] + 1.0], color="tab:blue", linewidth=2)  # 1 mV bar
    axes[-1, 0].set_xlabel("time (s)" if fs else "sample", fontsize=7)
    axes[-1, 1].set_xlabel("time (s)" if fs else "sample", fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig

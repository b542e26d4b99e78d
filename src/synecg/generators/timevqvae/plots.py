"""Figure of TimeVQVAE stage-1 reconstructions (LF, HF and their sum) of real test records."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from synecg.constants import CLASSES, LEADS


def plot_reconstructions(rec: dict[str, np.ndarray], labels: Sequence[int], fs: float, path: str | Path,
                         lead: str = "II", crossover_hz: float | None = None) -> None:
    """One row per record, three columns (LF band, HF band, full signal): input vs reconstruction.

    ``rec``: the output of ``synecg.generators.timevqvae.train.reconstruct`` (arrays (N, 12, L), mV).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from synecg.io import atomic_path

    li = LEADS.index(lead)
    n = len(labels)
    t = np.arange(rec["x"].shape[-1]) / fs
    fig, axes = plt.subplots(n, 3, figsize=(13, 1.9 * n + 0.6), sharex=True, squeeze=False)
    cut = f" (< ~{crossover_hz:.0f} Hz)" if crossover_hz else ""
    titles = (f"LF band{cut}", "HF band", "LF + HF")
    pairs = (("x_lf", "xhat_lf"), ("x_hf", "xhat_hf"), ("x", "xhat"))
    for i in range(n):
        for j, (real, recon) in enumerate(pairs):
            ax = axes[i, j]
            ax.plot(t, rec[real][i, li], color="0.4", lw=0.8, label="real")
            ax.plot(t, rec[recon][i, li], color="tab:red", lw=0.8, label="reconstruction")
            if i == 0:
                ax.set_title(titles[j])
            if j == 0:
                ax.set_ylabel(f"{CLASSES[labels[i]]}\nmV")
    axes[0, 2].legend(loc="upper right", fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("s")
    fig.suptitle(f"TimeVQVAE stage-1 reconstructions of test records, lead {lead}")
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)

"""Figures of the fidelity stage, real training split vs one synthetic bank. One function per
figure; each takes arrays (signals in mV, labels, cached features) and writes one PNG."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from synecg.constants import CLASSES, LEAD_INDEX, LEADS
from synecg.fidelity import signal
from synecg.io import atomic_path
from synecg.plots.ecg_paper import draw_ecg_paper, paper_size_mm
from synecg.seeding import derive_seed, numpy_rng

REAL_COLOUR, FAKE_COLOUR = "#1f77b4", "#d62728"


def _save(fig: Figure, path: str | Path, dpi: int = 100, tight: bool = True) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight" if tight else None)


def _classes(real_y: np.ndarray, fake_y: np.ndarray) -> list[int]:
    return [c for c in range(len(CLASSES)) if (real_y == c).any() and (fake_y == c).any()]


def _pick(y: np.ndarray, c: int, n: int, rng: np.random.Generator) -> np.ndarray:
    idx = np.flatnonzero(y == c)
    return np.sort(rng.choice(idx, min(n, len(idx)), replace=False))


def beats(x: np.ndarray, fs: float, before_s: float = 0.3, after_s: float = 0.5) -> np.ndarray:
    """All complete beat windows (n_beats, 12, W) around the R peaks of lead II of records x (N, 12, L)."""
    b, a = int(before_s * fs), int(after_s * fs)
    out = []
    for rec in x:
        rec = np.asarray(rec, dtype=np.float64)
        for p in signal.r_peaks(rec[LEAD_INDEX["II"]], fs):
            if p - b >= 0 and p + a <= rec.shape[-1]:
                out.append(rec[:, p - b : p + a])
    return np.stack(out) if out else np.empty((0, x.shape[1], b + a))


def plot_waveforms(path, real_x, real_y, fake_x, fake_y, fs: float, rng: np.random.Generator, records_per_class: int = 40) -> None:
    """Per class (rows) and lead (columns): R-aligned median beat with its 25-75 % band, real vs synthetic."""
    classes = _classes(real_y, fake_y)
    # 84 panels: a fixed grid, not constrained layout (which costs seconds per panel).
    fig = Figure(figsize=(22, 1.6 * max(len(classes), 1) + 0.8))
    axes = fig.subplots(max(len(classes), 1), len(LEADS), squeeze=False)  # sharex across 84 axes is quadratic
    fig.subplots_adjust(left=0.04, right=0.995, bottom=0.06, top=0.94, wspace=0.35, hspace=0.25)
    for r, c in enumerate(classes):
        for x, y, colour, name in ((real_x, real_y, REAL_COLOUR, "real"), (fake_x, fake_y, FAKE_COLOUR, "synthetic")):
            bt = beats(np.asarray(x[_pick(y, c, records_per_class, rng)]), fs)
            if not len(bt):
                continue
            t = (np.arange(bt.shape[-1]) - int(0.3 * fs)) / fs
            lo, med, hi = np.quantile(bt, [0.25, 0.5, 0.75], axis=0)
            for lead in range(len(LEADS)):
                ax = axes[r, lead]
                ax.fill_between(t, lo[lead], hi[lead], color=colour, alpha=0.25, linewidth=0)
                ax.plot(t, med[lead], color=colour, linewidth=0.9, label=name)
        axes[r, 0].set_ylabel(f"{CLASSES[c]}\nmV", fontsize=8)
    for lead, name in enumerate(LEADS):
        axes[0, lead].set_title(name, fontsize=9)
        axes[-1, lead].set_xlabel("s from R", fontsize=7)
    # Few fixed ticks, x labels on the bottom row only: 84 panels of default ticks cost most of the
    # figure's drawing time (benchmarks/README.md, fidelity figures).
    for r, row in enumerate(axes):
        for ax in row:
            ax.set_xlim(-0.3, 0.5)
            ax.set_xticks([0.0, 0.4])
            ax.yaxis.set_major_locator(MaxNLocator(3))
            ax.tick_params(labelsize=6, labelbottom=r == len(axes) - 1)
    if classes:
        axes[0, 0].legend(fontsize=6, loc="upper left")
    _save(fig, path, dpi=80, tight=False)


def plot_spectra(path, real_x, fake_x, fs: float) -> None:
    """Mean Welch log-PSD per lead (dB) as heatmaps: real, synthetic, synthetic - real."""
    freqs, real_db = signal.mean_log_psd(real_x, fs)
    _, fake_db = signal.mean_log_psd(fake_x, fs)
    fig = Figure(figsize=(15, 4), layout="constrained")
    axes = fig.subplots(1, 3)
    extent = (freqs[0], freqs[-1], len(LEADS) - 0.5, -0.5)
    vmin, vmax = min(real_db.min(), fake_db.min()), max(real_db.max(), fake_db.max())
    for ax, data, title in ((axes[0], real_db, "real"), (axes[1], fake_db, "synthetic")):
        im = ax.imshow(data, aspect="auto", extent=extent, vmin=vmin, vmax=vmax, cmap="viridis", interpolation="nearest")
        ax.set_title(f"{title}: mean PSD (dB mV²/Hz)")
    fig.colorbar(im, ax=axes[:2], shrink=0.8)
    diff = fake_db - real_db
    lim = max(np.abs(diff).max(), 1e-6)
    im = axes[2].imshow(diff, aspect="auto", extent=extent, vmin=-lim, vmax=lim, cmap="RdBu_r", interpolation="nearest")
    axes[2].set_title("synthetic - real (dB)")
    fig.colorbar(im, ax=axes[2], shrink=0.8)
    for ax in axes:
        ax.set_yticks(range(len(LEADS)), LEADS, fontsize=7)
        ax.set_xlabel("Hz")
    _save(fig, path)


def plot_correlation(path, real_x, fake_x) -> None:
    """Mean inter-lead Pearson correlation: real, synthetic, synthetic - real."""
    rc, fc = signal.mean_lead_correlation(real_x), signal.mean_lead_correlation(fake_x)
    fig = Figure(figsize=(15, 4.5), layout="constrained")
    axes = fig.subplots(1, 3)
    for ax, data, title, cmap, lim in (
        (axes[0], rc, "real", "RdBu_r", 1.0), (axes[1], fc, "synthetic", "RdBu_r", 1.0),
        (axes[2], fc - rc, f"synthetic - real (mean |off-diag| {signal.correlation_difference(rc, fc):.3f})", "PuOr_r", max(np.abs(fc - rc).max(), 1e-6)),
    ):
        im = ax.imshow(data, vmin=-lim, vmax=lim, cmap=cmap)
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(len(LEADS)), LEADS, rotation=90, fontsize=7)
        ax.set_yticks(range(len(LEADS)), LEADS, fontsize=7)
        fig.colorbar(im, ax=ax, shrink=0.8)
    _save(fig, path)


def plot_embedding(path, real_f, real_y, fake_f, fake_y, rng: np.random.Generator, max_points: int = 500, perplexity: float = 30.0, seed: int = 0) -> None:
    """t-SNE of frozen-classifier features: coloured by real / synthetic, and by class."""
    from sklearn.manifold import TSNE
    from sklearn.preprocessing import StandardScaler

    ri = np.sort(rng.choice(len(real_f), min(max_points, len(real_f)), replace=False))
    fi = np.sort(rng.choice(len(fake_f), min(max_points, len(fake_f)), replace=False))
    feats = np.concatenate([real_f[ri], fake_f[fi]]).astype(np.float64)
    is_fake = np.r_[np.zeros(len(ri), bool), np.ones(len(fi), bool)]
    labels = np.r_[real_y[ri], fake_y[fi]]
    perp = float(min(perplexity, max(2.0, (len(feats) - 1) / 3)))
    emb = TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed % (2**32)).fit_transform(StandardScaler().fit_transform(feats))
    fig = Figure(figsize=(12, 5.5), layout="constrained")
    axes = fig.subplots(1, 2)
    axes[0].scatter(*emb[~is_fake].T, s=6, c=REAL_COLOUR, label="real train", alpha=0.6)
    axes[0].scatter(*emb[is_fake].T, s=6, c=FAKE_COLOUR, label="synthetic", alpha=0.6)
    axes[0].legend(fontsize=8)
    axes[0].set_title("real vs synthetic")
    cmap = __import__("matplotlib").colormaps["tab10"]
    for c in np.unique(labels):
        m = labels == c
        axes[1].scatter(*emb[m & ~is_fake].T, s=8, color=cmap(c), marker="o", alpha=0.6, label=f"{CLASSES[c]} real")
        axes[1].scatter(*emb[m & is_fake].T, s=10, color=cmap(c), marker="x", alpha=0.6, label=f"{CLASSES[c]} synth")
    axes[1].legend(fontsize=6, ncol=2)
    axes[1].set_title("by class (o real, x synthetic)")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    _save(fig, path)


def plot_physiology(path, real_phys: dict, fake_phys: dict) -> None:
    """Heart rate and QRS duration per class: box plots, real vs synthetic (neurokit2, lead II)."""
    fig = Figure(figsize=(12, 6.5), layout="constrained")
    axes = fig.subplots(2, 1)
    classes = [c for c in range(len(CLASSES)) if (real_phys["label"] == c).any() or (fake_phys["label"] == c).any()]
    for ax, key, unit in ((axes[0], "hr_bpm", "heart rate (bpm)"), (axes[1], "qrs_ms", "QRS (ms)")):
        for offset, phys, colour in ((-0.18, real_phys, REAL_COLOUR), (0.18, fake_phys, FAKE_COLOUR)):
            data, pos = [], []
            for k, c in enumerate(classes):
                v = phys[key][(phys["label"] == c) & np.isfinite(phys[key])]
                if len(v):
                    data.append(v)
                    pos.append(k + offset)
            if data:
                bp = ax.boxplot(data, positions=pos, widths=0.3, patch_artist=True, showfliers=False)
                for box in bp["boxes"]:
                    box.set_facecolor(colour)
                    box.set_alpha(0.5)
        ax.set_xticks(range(len(classes)), [CLASSES[c] for c in classes])
        ax.set_ylabel(unit)
    fail_r, fail_f = real_phys["failed"].mean() if len(real_phys["failed"]) else np.nan, fake_phys["failed"].mean() if len(fake_phys["failed"]) else np.nan
    axes[0].set_title(f"blue: real train, red: synthetic; delineation failed on {fail_r:.0%} real, {fail_f:.0%} synthetic")
    _save(fig, path)


def plot_ecg_paper_grid(path, real_x, real_y, fake_x, fake_y, fs: float, rng: np.random.Generator) -> None:
    """One random real and one random synthetic record per class, each as a 12-lead paper ECG."""
    classes = _classes(real_y, fake_y)
    seconds = real_x.shape[-1] / fs
    w_mm, h_mm = paper_size_mm(seconds)
    scale = 1 / 25.4 * 0.5  # half of life size keeps the figure readable on screen
    fig = Figure(figsize=(2 * w_mm * scale + 0.5, max(len(classes), 1) * (h_mm * scale + 0.3)), layout="constrained")
    axes = fig.subplots(max(len(classes), 1), 2, squeeze=False)
    for r, c in enumerate(classes):
        for col, (x, y, name) in enumerate(((real_x, real_y, "real"), (fake_x, fake_y, "synthetic"))):
            i = int(rng.choice(np.flatnonzero(y == c)))
            draw_ecg_paper(axes[r, col], np.asarray(x[i], dtype=np.float64), fs, f"{CLASSES[c]} - {name}")
    _save(fig, path, dpi=110)


def per_class_rows(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Up to ``n`` random row indices of each class, sorted (memory-map friendly)."""
    parts = [_pick(y, c, n, rng) for c in np.unique(y)]
    return np.sort(np.concatenate(parts)) if parts else np.array([], dtype=np.int64)


def plot_fidelity_figures(paths: dict[str, str | Path], real_x, real_y, real_cache: dict, fake_x, fake_y, fake_cache: dict,
                          settings: dict, fs: float, seed: int, dataset: str, generator: str) -> None:
    """Every figure of ``synecg.fidelity.FIGURES`` for one (dataset, generator), to ``paths[name]``: real training
    split (signals, its cache) vs the bank (signals, its cache); ``settings`` is ``fidelity.plots``.
    Signal figures use a per-class subsample of both sets: the figures are means, not a census."""
    from synecg.fidelity.embed import physiology_of  # imports torch: only where figures are drawn from caches

    def rng(name):
        return numpy_rng(seed, "fidelity", "plot", dataset, generator, name)

    n = settings["records_per_class"]
    real_rows, fake_rows = per_class_rows(real_y, n, rng("rows-real")), per_class_rows(fake_y, n, rng("rows-fake"))
    rx, ry, fx, fy = real_x[real_rows], real_y[real_rows], fake_x[fake_rows], fake_y[fake_rows]
    plot_waveforms(paths["waveforms"], rx, ry, fx, fy, fs, rng("waveforms"), n)
    plot_spectra(paths["spectra"], rx, fx, fs)
    plot_correlation(paths["correlation"], rx, fx)
    plot_embedding(paths["embedding"], real_cache["classifier"], real_cache["label"], fake_cache["classifier"],
                   fake_cache["label"], rng("tsne"), settings["tsne_max_points"], settings["tsne_perplexity"],
                   derive_seed(seed, "fidelity", "tsne", dataset, generator))
    plot_physiology(paths["physiology"], physiology_of(real_cache), physiology_of(fake_cache))
    plot_ecg_paper_grid(paths["ecg_paper"], rx, ry, fx, fy, fs, rng("paper"))

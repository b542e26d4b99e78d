"""12-lead ECG drawn as on paper: 25 mm/s, 10 mm/mV, 1 mm / 5 mm grid, the standard 3 x 4 layout
(I, aVR, V1, V4 / II, aVL, V2, V5 / III, aVF, V3, V6; 2.5 s each) and a 10 s lead-II rhythm strip."""

from __future__ import annotations

import numpy as np

from synecg.constants import LEAD_INDEX

LAYOUT: tuple[tuple[str, ...], ...] = (("I", "aVR", "V1", "V4"), ("II", "aVL", "V2", "V5"), ("III", "aVF", "V3", "V6"))
ROW_MV = 3.0  # vertical space per row (30 mm)
MM_PER_S, MM_PER_MV = 25.0, 10.0


def paper_size_mm(seconds: float) -> tuple[float, float]:
    """(width, height) in mm of one page: ``seconds`` wide, three rows and a rhythm strip tall."""
    return seconds * MM_PER_S, (len(LAYOUT) + 1) * ROW_MV * MM_PER_MV


def draw_ecg_paper(ax, signal_mv: np.ndarray, fs: float, title: str = "") -> None:
    """Draw one (12, L) record in mV on ``ax`` in paper units (x: s, y: mV, aspect fixed to 25 : 10)."""
    seconds = signal_mv.shape[-1] / fs
    n_rows = len(LAYOUT) + 1
    height = n_rows * ROW_MV
    # Grid: minor 1 mm = 0.04 s / 0.1 mV, major 5 mm = 0.2 s / 0.5 mV.
    for step, width, alpha in ((0.04, 0.3, 0.35), (0.2, 0.6, 0.6)):
        ax.vlines(np.arange(0, seconds + 1e-9, step), 0, height, colors="#f4a6a6", linewidth=width, alpha=alpha, zorder=0)
    for step, width, alpha in ((0.1, 0.3, 0.35), (0.5, 0.6, 0.6)):
        ax.hlines(np.arange(0, height + 1e-9, step), 0, seconds, colors="#f4a6a6", linewidth=width, alpha=alpha, zorder=0)
    column_s = seconds / 4
    per_col = int(round(column_s * fs))
    t_col = np.arange(per_col) / fs
    for r, row in enumerate(LAYOUT):
        baseline = height - (r + 0.5) * ROW_MV
        for c, lead in enumerate(row):
            seg = signal_mv[LEAD_INDEX[lead], c * per_col : (c + 1) * per_col]
            ax.plot(c * column_s + t_col[: len(seg)], baseline + seg, color="black", linewidth=0.6)
            ax.text(c * column_s + 0.05, baseline + 0.9, lead, fontsize=6)
    t = np.arange(signal_mv.shape[-1]) / fs
    ax.plot(t, 0.5 * ROW_MV + signal_mv[LEAD_INDEX["II"]], color="black", linewidth=0.6)
    ax.text(0.05, 0.5 * ROW_MV + 0.9, "II", fontsize=6)
    ax.set_xlim(0, seconds)
    ax.set_ylim(0, height)
    ax.set_aspect(MM_PER_MV / MM_PER_S)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)

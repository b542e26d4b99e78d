"""Physiological measurements on lead II with neurokit2, and their distance between sets.

Per record: heart rate (60 / mean RR, bpm), RR irregularity (coefficient of variation of RR), and
the median over beats of PR (P onset -> QRS onset), QRS (QRS onset -> offset) and QT (QRS onset ->
T offset) in ms, from neurokit2's ``ecg_clean`` -> ``ecg_peaks`` -> ``ecg_delineate(method="dwt")``.
A record whose R-peak detection or delineation fails, or that has fewer than three R peaks, is a
failure; an interval that no beat delineates is NaN for that record.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.stats import wasserstein_distance

from synecg.constants import LEAD_INDEX

MEASURES: tuple[str, ...] = ("hr_bpm", "rr_cv", "pr_ms", "qrs_ms", "qt_ms")


def measure_record(lead_ii: np.ndarray, fs: float) -> dict[str, float] | None:
    """The five measures of one lead-II trace in mV, or None when delineation fails."""
    import neurokit2 as nk

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            clean = nk.ecg_clean(np.asarray(lead_ii, dtype=np.float64), sampling_rate=int(fs))
            _, info = nk.ecg_peaks(clean, sampling_rate=int(fs))
            r = np.asarray(info["ECG_R_Peaks"])
            if len(r) < 3:
                return None
            _, waves = nk.ecg_delineate(clean, r, sampling_rate=int(fs), method="dwt")
        except Exception:  # neurokit2 raises many types on flat or noisy traces; each counts as a failure
            return None
    rr = np.diff(r) / fs
    ms = 1000.0 / fs

    def interval(start: str, stop: str) -> float:
        a = np.asarray(waves.get(start, []), dtype=float)
        b = np.asarray(waves.get(stop, []), dtype=float)
        n = min(len(a), len(b))
        d = (b[:n] - a[:n]) * ms
        d = d[np.isfinite(d) & (d > 0)]
        return float(np.median(d)) if len(d) else float("nan")

    return {
        "hr_bpm": float(60.0 / rr.mean()),
        "rr_cv": float(rr.std() / rr.mean()),
        "pr_ms": interval("ECG_P_Onsets", "ECG_R_Onsets"),
        "qrs_ms": interval("ECG_R_Onsets", "ECG_R_Offsets"),
        "qt_ms": interval("ECG_R_Onsets", "ECG_T_Offsets"),
    }


def measure_set(x: np.ndarray, y: np.ndarray, fs: float, rng: np.random.Generator, max_per_class: int) -> dict[str, np.ndarray]:
    """Measure up to ``max_per_class`` random records of each class: arrays of the measures, ``label`` and ``failed``."""
    chosen = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        chosen.append(np.sort(rng.choice(idx, min(max_per_class, len(idx)), replace=False)))
    rows = np.sort(np.concatenate(chosen)) if chosen else np.array([], dtype=np.int64)
    lead = LEAD_INDEX["II"]
    out = {m: np.full(len(rows), np.nan) for m in MEASURES}
    failed = np.zeros(len(rows), dtype=bool)
    for j, i in enumerate(rows):
        res = measure_record(np.asarray(x[i, lead]), fs)
        if res is None:
            failed[j] = True
            continue
        for m in MEASURES:
            out[m][j] = res[m]
    return {**out, "label": np.asarray(y)[rows], "row": rows, "failed": failed}


def compare_measures(real: dict[str, np.ndarray], fake: dict[str, np.ndarray], mask_real=None, mask_fake=None) -> dict[str, float]:
    """Wasserstein-1 between real and synthetic distributions of each measure, and failure fractions."""
    mr = np.ones(len(real["failed"]), bool) if mask_real is None else mask_real
    mf = np.ones(len(fake["failed"]), bool) if mask_fake is None else mask_fake
    out: dict[str, float] = {
        "fail_fraction": float(fake["failed"][mf].mean()) if mf.any() else float("nan"),
        "fail_fraction_real": float(real["failed"][mr].mean()) if mr.any() else float("nan"),
    }
    for m in MEASURES:
        a = real[m][mr]
        b = fake[m][mf]
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        out[f"{m}_w1"] = float(wasserstein_distance(a, b)) if len(a) and len(b) else float("nan")
        out[f"{m}_median_fake"] = float(np.median(b)) if len(b) else float("nan")
        out[f"{m}_median_real"] = float(np.median(a)) if len(a) else float("nan")
    return out

"""Metrics of the learning check (benchmarks/learning_check.py): does a bank look like the real data?

Every function compares a set of signals (N, 12, L) in mV with real records of the same dataset:

- ``amplitude_ratio``: mean over leads of std(bank lead) / std(real lead), pooled over records and
  time (1 = right scale; saturated noise gives > 2);
- ``log_psd_distance``: mean over leads of the mean |dB| difference of the two sets' mean Welch
  spectra over 0.5-40 Hz (``synecg.fidelity.signal``);
- ``c2st_accuracy``: cross-validated accuracy of a logistic regression telling real from bank on
  per-record band log-spectra and per-lead log-std (0.5 = indistinguishable, Lopez-Paz & Oquab 2017);
- ``trts_accuracy``: accuracy of a classifier trained on real records applied to the bank with its
  intended labels (Train on Real, Test on Synthetic; chance = 1 / number of classes);
- ``beat_ratio``: mean over classes of (R peaks per bank record) / (R peaks per real record), R peaks
  in lead II above a height taken from the real records, so a flat stretch has no beats (1 = the
  real beat count; a bank that draws every second beat gives 0.5, a flat bank 0).
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from scipy import signal as sps
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from synecg.constants import LEAD_INDEX
from synecg.fidelity.signal import BAND_HZ, envelope_peaks, mean_log_psd, psd_distance, qrs_envelope


def lead_std(x: np.ndarray) -> np.ndarray:
    """Per-lead standard deviation over records and time, (12,) mV."""
    x = np.asarray(x, dtype=np.float64)
    return x.transpose(1, 0, 2).reshape(x.shape[1], -1).std(1)


def amplitude_ratio(real: np.ndarray, fake: np.ndarray) -> float:
    """Mean over leads of std(fake) / std(real); leads flat in the real set are skipped."""
    r, f = lead_std(real), lead_std(fake)
    keep = r > 0
    return float(np.mean(f[keep] / r[keep]))


def log_psd_distance(real: np.ndarray, fake: np.ndarray, fs: float) -> float:
    """Mean over leads of the mean absolute dB difference of the sets' mean Welch PSDs (0.5-40 Hz)."""
    freqs, real_db = mean_log_psd(real, fs)
    _, fake_db = mean_log_psd(fake, fs)
    return float(psd_distance(real_db, fake_db, freqs).mean())


def spectral_features(x: np.ndarray, fs: float, bands: int = 16) -> np.ndarray:
    """Per record: the band log-PSD (dB) of every lead averaged into ``bands`` bins, and log std per lead.

    (N, 12, L) -> (N, 12 * (bands + 1)).
    """
    x = np.asarray(x, dtype=np.float64)
    freqs, p = sps.welch(x, fs=fs, nperseg=min(int(2 * fs), x.shape[-1]), axis=-1)
    in_band = np.flatnonzero((freqs >= BAND_HZ[0]) & (freqs <= min(BAND_HZ[1], freqs[-1])))
    groups = np.array_split(in_band, min(bands, len(in_band)))
    db = np.stack([10 * np.log10(p[..., g].mean(-1) + 1e-12) for g in groups], axis=-1)
    log_std = np.log(x.std(-1) + 1e-6)[..., None]
    return np.concatenate([db, log_std], axis=-1).reshape(len(x), -1)


def c2st_accuracy(real: np.ndarray, fake: np.ndarray, fs: float, seed: int, folds: int = 5) -> float:
    """Cross-validated real-vs-fake accuracy on ``spectral_features``; both sets cut to the smaller size.

    NaN when either set has fewer than ``2 * folds`` records.
    """
    rng = np.random.default_rng(seed)
    n = min(len(real), len(fake))
    if n < 2 * folds:
        return float("nan")
    r = spectral_features(np.asarray(real)[np.sort(rng.choice(len(real), n, replace=False))], fs)
    f = spectral_features(np.asarray(fake)[np.sort(rng.choice(len(fake), n, replace=False))], fs)
    x = np.concatenate([r, f])
    y = np.r_[np.zeros(n), np.ones(n)]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(model, x, y, cv=cv, scoring="accuracy").mean())


def trts_accuracy(predict: Callable[[np.ndarray], np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Share of signals whose predicted class (``predict``: (N, 12, L) -> (N,) indices) equals ``y``."""
    if len(y) == 0:
        return float("nan")
    return float(np.mean(np.asarray(predict(x)) == np.asarray(y)))


def lead_ii_envelopes(x: np.ndarray, fs: float) -> np.ndarray:
    """The R-peak detector's envelope of lead II of every record, (N, L)."""
    return qrs_envelope(np.asarray(x)[:, LEAD_INDEX["II"]], fs)


def beat_height(real_env: np.ndarray) -> float:
    """R-peak height threshold (mV) from real records' ``lead_ii_envelopes``: 0.4 x the median over
    records of their 99th percentile (one threshold for every set compared with these records)."""
    return float(0.4 * np.median(np.quantile(real_env, 0.99, axis=-1)))


def beat_counts(env: np.ndarray, fs: float, height: float) -> np.ndarray:
    """R peaks per record (N,) of ``lead_ii_envelopes`` at least ``height`` mV high."""
    return np.array([len(envelope_peaks(e, fs, height)) for e in env])


def beat_ratio(real: np.ndarray, real_y: np.ndarray, fake: np.ndarray, fake_y: np.ndarray, fs: float) -> float:
    """Mean over the classes in both sets (with beats in the real one) of mean beats per fake record
    over mean beats per real record; NaN when no class qualifies."""
    real_env = lead_ii_envelopes(real, fs)
    height = beat_height(real_env)
    real_n, fake_n = beat_counts(real_env, fs, height), beat_counts(lead_ii_envelopes(fake, fs), fs, height)
    real_y, fake_y = np.asarray(real_y), np.asarray(fake_y)
    ratios = [fake_n[fake_y == c].mean() / real_n[real_y == c].mean()
              for c in np.intersect1d(real_y, fake_y) if real_n[real_y == c].mean() > 0]
    return float(np.mean(ratios)) if ratios else float("nan")


def set_metrics(real_train: np.ndarray, x: np.ndarray, y: np.ndarray, predict: Callable[[np.ndarray], np.ndarray],
                fs: float, seed: int, real_y: np.ndarray | None = None) -> dict[str, float]:
    """Every learning-check number of one set (a bank, or held-out real records) against the real
    training split; ``beat_ratio`` too when the training split's labels ``real_y`` are given."""
    metrics = {
        "trts": trts_accuracy(predict, x, y),
        "amplitude_ratio": amplitude_ratio(real_train, x),
        "log_psd_distance": log_psd_distance(real_train, x, fs),
        "c2st_accuracy": c2st_accuracy(real_train, x, fs, seed),
        "n": int(len(y)),
    }
    if real_y is not None:
        metrics["beat_ratio"] = beat_ratio(real_train, real_y, x, y, fs)
    return metrics


def summarise(runs: list[dict[str, float]]) -> dict[str, float]:
    """Mean and standard deviation (ddof 1; 0 for one run) of every numeric key over sampling seeds."""
    out: dict[str, float] = {}
    for key in runs[0]:
        values = np.array([r[key] for r in runs], dtype=float)
        out[key] = float(values.mean())
        out[f"{key}_sd"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return out

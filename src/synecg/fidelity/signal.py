"""Signal-level comparisons on raw (N, 12, L) arrays in mV.

- per-lead Welch PSD distance: mean |10 log10 P_real(f) - 10 log10 P_fake(f)| in dB over 0.5-40 Hz
  (capped at Nyquist), where P is the set's mean Welch PSD of that lead;
- inter-lead correlation: mean over records of each record's 12 x 12 Pearson matrix, and the mean
  absolute difference of the two sets' matrices (off-diagonal);
- limb-lead residuals: Einthoven I + III - II and Goldberger aVR + aVL + aVF, mean |.| in mV, each
  relative to the mean |II| (0 when the leads were derived from I and II, as SSSD-ECG does);
- R peaks: peaks of the 5-30 Hz band-passed |lead II|, at least 0.25 s apart, above a height.
"""

from __future__ import annotations

import numpy as np
from scipy import signal as sps

from synecg.constants import LEAD_INDEX, N_LEADS

BAND_HZ = (0.5, 40.0)


def qrs_envelope(lead: np.ndarray, fs: float) -> np.ndarray:
    """|5-30 Hz band-passed trace| (mV), the R-peak detector's input; same shape as ``lead`` (..., L)."""
    b, a = sps.butter(2, [5 / (fs / 2), min(30 / (fs / 2), 0.95)], btype="band")
    return np.abs(sps.filtfilt(b, a, np.asarray(lead, dtype=np.float64), axis=-1))


def envelope_peaks(env: np.ndarray, fs: float, height: float | None = None) -> np.ndarray:
    """R-peak samples of one trace's ``qrs_envelope``: peaks >= 0.25 s apart and at least ``height`` mV
    (default: 0.4 x the trace's own 99th envelope percentile, which finds beats in any trace)."""
    if height is None:
        height = 0.4 * np.quantile(env, 0.99)
    peaks, _ = sps.find_peaks(env, distance=max(1, int(0.25 * fs)), height=height if height > 0 else None)
    return peaks


def r_peaks(lead_ii: np.ndarray, fs: float, height: float | None = None) -> np.ndarray:
    """R-peak samples of one lead-II trace (``envelope_peaks`` of its ``qrs_envelope``)."""
    return envelope_peaks(qrs_envelope(lead_ii, fs), fs, height)


def mean_log_psd(x: np.ndarray, fs: float, batch: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(freqs (F,), mean PSD in dB (12, F)) of a set: Welch, 2 s Hann windows, averaged over records."""
    nperseg = min(int(2 * fs), x.shape[-1])
    total = None
    for start in range(0, len(x), batch):
        f, p = sps.welch(np.asarray(x[start : start + batch], dtype=np.float64), fs=fs, nperseg=nperseg, axis=-1)
        s = p.sum(0)
        total = s if total is None else total + s
    mean = total / max(len(x), 1)
    return f, 10.0 * np.log10(mean + 1e-12)


def psd_distance(real_db: np.ndarray, fake_db: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Per-lead mean absolute dB difference of two mean log-PSDs over the ECG band, (12,)."""
    band = (freqs >= BAND_HZ[0]) & (freqs <= min(BAND_HZ[1], freqs[-1]))
    return np.abs(real_db[:, band] - fake_db[:, band]).mean(1)


def mean_lead_correlation(x: np.ndarray, batch: int = 1024) -> np.ndarray:
    """Mean over records of the 12 x 12 Pearson correlation between leads (flat leads count as 0)."""
    total = np.zeros((N_LEADS, N_LEADS))
    for start in range(0, len(x), batch):
        xb = np.asarray(x[start : start + batch], dtype=np.float64)
        xb = xb - xb.mean(-1, keepdims=True)
        norm = np.linalg.norm(xb, axis=-1, keepdims=True)
        xb = np.divide(xb, norm, out=np.zeros_like(xb), where=norm > 0)
        total += np.einsum("nit,njt->ij", xb, xb)
    return total / max(len(x), 1)


def correlation_difference(real_corr: np.ndarray, fake_corr: np.ndarray) -> float:
    """Mean absolute difference of two 12 x 12 correlation matrices, off-diagonal entries."""
    off = ~np.eye(len(real_corr), dtype=bool)
    return float(np.abs(real_corr - fake_corr)[off].mean())


def limb_residuals(x: np.ndarray, batch: int = 1024) -> dict[str, float]:
    """Einthoven |I + III - II| and Goldberger |aVR + aVL + aVF|, mean mV and relative to mean |II|."""
    i, ii, iii = LEAD_INDEX["I"], LEAD_INDEX["II"], LEAD_INDEX["III"]
    avr, avl, avf = LEAD_INDEX["aVR"], LEAD_INDEX["aVL"], LEAD_INDEX["aVF"]
    sums = np.zeros(3)
    count = 0
    for start in range(0, len(x), batch):
        xb = np.asarray(x[start : start + batch], dtype=np.float64)
        sums += [
            np.abs(xb[:, i] + xb[:, iii] - xb[:, ii]).mean(-1).sum(),
            np.abs(xb[:, avr] + xb[:, avl] + xb[:, avf]).mean(-1).sum(),
            np.abs(xb[:, ii]).mean(-1).sum(),
        ]
        count += len(xb)
    if count == 0:
        return {k: float("nan") for k in ("einthoven_mv", "goldberger_mv", "einthoven_rel", "goldberger_rel")}
    ein, gold, amp = sums / count
    amp = amp if amp > 0 else float("nan")
    return {"einthoven_mv": ein, "goldberger_mv": gold, "einthoven_rel": ein / amp, "goldberger_rel": gold / amp}

"""One raw record -> one prepared (12, L) float32 array in mV, or a RecordError saying why not.

Checks, in order: header readable; 12 signals; lead names (case-insensitive) are exactly the
canonical twelve; sampling rate as the dataset promises; length = seconds x rate; signal file
present and as long as the header says; no NaN (invalid) samples; no all-zero lead (unless
configured to keep them). Then: canonical lead order, anti-aliased polyphase resampling to the
target rate, optional zero-phase band-pass filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from math import gcd
from pathlib import Path

import numpy as np

from synecg.constants import LEADS, N_LEADS
from synecg.data.wfdb_io import Header, read_header, read_signal
from synecg.errors import RecordError

_CANONICAL = {name.lower(): i for i, name in enumerate(LEADS)}
_IDENTITY = np.arange(N_LEADS)


@dataclass(frozen=True)
class SignalSpec:
    """What every record of one dataset must look like, and what to turn it into."""

    source_fs: int  # the rate the dataset's files are promised to have (Hz)
    target_fs: int  # the prepared rate (Hz)
    seconds: float
    all_zero_leads: str = "quarantine"  # or "keep"
    filter_band_hz: tuple[float, float] | None = None  # zero-phase Butterworth band-pass when set
    filter_order: int = 2

    @property
    def n_target(self) -> int:
        return int(round(self.seconds * self.target_fs))

    @property
    def n_source(self) -> int:
        return int(round(self.seconds * self.source_fs))


def lead_order(header: Header) -> np.ndarray:
    """Row indices that put the header's signals in canonical order (names matched
    case-insensitively); RecordError if the names are not exactly the twelve leads."""
    order = _lead_order(tuple(header.lead_names))
    if order is None:
        raise RecordError(header.path, f"lead names {header.lead_names} are not the twelve standard leads")
    return order


@lru_cache(maxsize=64)
def _lead_order(names: tuple[str, ...]) -> np.ndarray | None:
    lowered = [n.strip().lower() for n in names]
    if sorted(lowered) != sorted(_CANONICAL):
        return None
    order = np.empty(N_LEADS, dtype=np.int64)
    for row, name in enumerate(lowered):
        order[_CANONICAL[name]] = row
    order.flags.writeable = False
    return order


def check_header(header: Header, spec: SignalSpec) -> np.ndarray:
    """Header-level checks; returns the canonical lead order."""
    if header.n_sig != N_LEADS:
        raise RecordError(header.path, f"{header.n_sig} leads, expected {N_LEADS}")
    order = lead_order(header)
    if abs(header.fs - spec.source_fs) > 1e-6:
        raise RecordError(header.path, f"sampling rate {header.fs:g} Hz, expected {spec.source_fs} Hz")
    if header.n_samples != spec.n_source:
        raise RecordError(
            header.path, f"header says {header.n_samples} samples, expected {spec.n_source} ({spec.seconds:g} s)"
        )
    return order


def resample(signal: np.ndarray, source_fs: int, target_fs: int) -> np.ndarray:
    """Polyphase resampling with scipy's anti-aliasing FIR (Kaiser window), along the last axis."""
    if source_fs == target_fs:
        return signal
    from scipy.signal import resample_poly

    g = gcd(int(source_fs), int(target_fs))
    return resample_poly(signal, target_fs // g, source_fs // g, axis=-1)


def band_pass(signal: np.ndarray, fs: int, band_hz: tuple[float, float], order: int) -> np.ndarray:
    """Zero-phase Butterworth band-pass (second-order sections, forward-backward)."""
    from scipy.signal import butter, sosfiltfilt

    low, high = band_hz
    sos = butter(order, [low, min(high, 0.45 * fs)], btype="bandpass", fs=fs, output="sos")
    return sosfiltfilt(sos, signal, axis=-1)


def prepare_signal(header_path: str | Path, spec: SignalSpec) -> np.ndarray:
    """Read, check and convert one record: float32 (12, spec.n_target) in mV, canonical order."""
    header = read_header(header_path)
    order = check_header(header, spec)
    signal = read_signal(header)
    if not np.array_equal(order, _IDENTITY):
        signal = signal[order]
    if np.isnan(signal).any():
        leads = [LEADS[i] for i in np.flatnonzero(np.isnan(signal).any(axis=1))]
        raise RecordError(header.path, f"NaN (invalid) samples in leads {', '.join(leads)}")
    if spec.all_zero_leads == "quarantine":
        zero = ~signal.any(axis=1)
        if zero.any():
            raise RecordError(header.path, f"all-zero leads {', '.join(LEADS[i] for i in np.flatnonzero(zero))}")
    if spec.source_fs == spec.target_fs and spec.filter_band_hz is None:
        return signal
    out = resample(signal.astype(np.float64), spec.source_fs, spec.target_fs)
    if spec.filter_band_hz is not None:
        out = band_pass(out, spec.target_fs, spec.filter_band_hz, spec.filter_order)
    return np.ascontiguousarray(out, dtype=np.float32)


def try_prepare_signal(header_path: str | Path, spec: SignalSpec) -> tuple[np.ndarray | None, str]:
    """``prepare_signal`` for worker pools: (array, "") or (None, the quarantine reason)."""
    try:
        return prepare_signal(header_path, spec), ""
    except RecordError as exc:
        return None, exc.problem if Path(exc.path) == Path(header_path) else f"{Path(exc.path).name}: {exc.problem}"

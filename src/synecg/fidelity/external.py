"""Checks on a bank directory made outside this workflow (config ``fidelity.external_banks``).

``synecg.generators.bank.load_bank`` already enforces the contract's shape (N, 12, L), float32,
matching label count and the seven class names. An external bank must also fit the dataset it is
scored against and be in millivolts; every failure names the file and the problem.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from synecg.constants import N_LEADS
from synecg.errors import ContractError

MAX_ABS_MV = 30.0  # beyond any surface ECG: the signals are in µV or unscaled ADC units
MIN_MEDIAN_PP_MV = 0.05  # a median lead peak-to-peak below 50 µV: volts, or normalised to tiny values


def check_bank(bank, bank_dir: str | Path, length: int, batch: int = 1024) -> None:
    """Raise ContractError (naming bank.npy) unless the bank has 12 leads of ``length`` samples,
    finite values and millivolt amplitudes."""
    path = Path(bank_dir) / "bank.npy"
    x = bank.x
    if x.ndim != 3 or x.shape[1] != N_LEADS:
        raise ContractError(path, f"expected (N, {N_LEADS}, {length}) signals, found {x.shape}")
    if x.shape[2] != length:
        raise ContractError(path, f"signals have {x.shape[2]} samples, the dataset's records have {length} "
                                  "(resample to the workflow's sampling rate and duration)")
    if len(x) == 0:
        raise ContractError(path, "the bank is empty")
    peak, pp = 0.0, []
    for start in range(0, len(x), batch):
        xb = np.asarray(x[start : start + batch], dtype=np.float64)
        bad = ~np.isfinite(xb)
        if bad.any():
            row = start + int(np.flatnonzero(bad.any(axis=(1, 2)))[0])
            raise ContractError(path, f"non-finite values (NaN or inf), first in row {row}")
        peak = max(peak, float(np.abs(xb).max()))
        pp.append(np.median(xb.max(-1) - xb.min(-1), axis=1))
    if peak > MAX_ABS_MV:
        raise ContractError(path, f"max |x| = {peak:.3g} > {MAX_ABS_MV} mV: signals must be in mV (µV or ADC units?)")
    median_pp = float(np.median(np.concatenate(pp)))
    if median_pp < MIN_MEDIAN_PP_MV:
        raise ContractError(path, f"median lead peak-to-peak {median_pp:.3g} mV < {MIN_MEDIAN_PP_MV} mV: "
                                  "signals must be in mV (volts, or normalised?)")

"""Fixture inputs for the fidelity and report tests, written through the stage contracts.

Records are ECG-like: a P-QRS-T train of Gaussian waves on leads I and II at a class-dependent
heart rate (irregular RR for AFIB and SARRH), the other limb leads derived by Einthoven and
Goldberger, V1-V6 scaled copies of II, plus noise. A "generator" bank is the same simulator with a
different seed, more noise and an optional amplitude shift, so the metrics have something to see.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synecg.constants import CLASSES, N_LEADS
from synecg.data.store import SplitWriter, write_records
from synecg.generators.bank import write_bank

RATE_HZ = 100
HEART_RATE = {"SBRAD": 50, "SR": 72, "AFIB": 95, "STACH": 115, "AFLT": 140, "SARRH": 70, "SVTAC": 165}
IRREGULAR = {"AFIB": 0.25, "SARRH": 0.12}


def _wave(t, centre, width, amplitude):
    return amplitude * np.exp(-0.5 * ((t - centre) / width) ** 2)


def simulate(y: np.ndarray, length: int, rng: np.random.Generator, noise: float = 0.02, gain: float = 1.0) -> np.ndarray:
    """(N, 12, length) float32 mV records of classes y."""
    t = np.arange(length) / RATE_HZ
    x = np.zeros((len(y), N_LEADS, length), dtype=np.float32)
    for i, c in enumerate(y):
        name = CLASSES[c]
        rr = 60.0 / HEART_RATE[name]
        lead_i, lead_ii = np.zeros(length), np.zeros(length)
        r = rng.uniform(0.1, rr)
        while r < t[-1] + 0.5:
            p = 0.0 if name == "AFIB" else 0.12
            lead_ii += _wave(t, r - 0.16, 0.025, p) + _wave(t, r, 0.012, 1.1 * gain) + _wave(t, r + 0.025, 0.01, -0.25) + _wave(t, r + 0.3, 0.05, 0.3)
            lead_i += _wave(t, r - 0.16, 0.025, p / 2) + _wave(t, r, 0.012, 0.6 * gain) + _wave(t, r + 0.3, 0.05, 0.15)
            r += rr * (1 + IRREGULAR.get(name, 0.02) * rng.standard_normal())
        x[i, 0], x[i, 1], x[i, 2] = lead_i, lead_ii, lead_ii - lead_i
        x[i, 3], x[i, 4], x[i, 5] = -(lead_i + lead_ii) / 2, lead_i - lead_ii / 2, lead_ii - lead_i / 2
        x[i, 6:] = lead_ii[None] * np.linspace(-0.5, 1.2, 6)[:, None]
    return x + noise * rng.standard_normal(x.shape).astype(np.float32)


def labels(per_class: int) -> np.ndarray:
    return np.repeat(np.arange(len(CLASSES)), per_class).astype(np.int64)


def write_dataset(out_dir: Path, name: str, per_class: dict[str, int], length: int, seed: int) -> None:
    """results/data/{name}/ with ``per_class[split]`` records of every class in each split."""
    rng = np.random.default_rng(seed)
    rows = []
    for split, n in per_class.items():
        y = labels(n)
        x = simulate(y, length, rng)
        writer = SplitWriter(out_dir / f"{split}.npy", len(y), length)
        for i in range(len(y)):
            writer.write(i, x[i])
            rows.append({"record_id": f"{name}-{split}-{i}", "patient_id": f"p-{split}-{i}", "source_path": f"{split}/{i}",
                         "raw_labels": CLASSES[y[i]], "label": CLASSES[y[i]], "split": split, "status": "kept", "reason": ""})
        writer.close()
    write_records(out_dir / "records.csv", pd.DataFrame(rows))


def write_fixture_bank(out_dir: Path, per_class: int, length: int, seed: int, noise: float, gain: float) -> None:
    y = labels(per_class)
    x = simulate(y, length, np.random.default_rng(seed), noise=noise, gain=gain)
    write_bank(out_dir, x, y, {"generator": out_dir.name, "seed": seed, "fixture": True})


DATASETS = ("ptbxl", "chapman", "merged")


def write_fidelity_inputs(workdir: Path, generators: list[str], length: int = 1000) -> None:
    """Prepared data of every dataset and one bank per (dataset, generator), in ``workdir``."""
    for k, name in enumerate(DATASETS):
        write_dataset(workdir / "results/data" / name, name, {"train": 10, "val": 6, "test": 1}, length, seed=k)
        for j, g in enumerate(generators):
            write_fixture_bank(workdir / "results/synthetic" / name / g, 7, length, seed=100 + 10 * k + j,
                               noise=0.03 + 0.05 * j, gain=1.0 + 0.3 * j)

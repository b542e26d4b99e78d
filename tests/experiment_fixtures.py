"""Fixture inputs for the classifier and experiment tests, written through the stage contracts
(synecg.data.store, synecg.generators.bank) so the tests need no other stage's code.

Signals are learnable: class c is a sinusoid of (1 + c) Hz on every lead (lead-dependent phase)
plus Gaussian noise, so a small classifier separates the classes within a few epochs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synecg.constants import CLASSES, N_LEADS
from synecg.data.store import SplitWriter, write_records
from synecg.generators.bank import write_bank

RATE_HZ = 100


def class_signals(y: np.ndarray, length: int, rng: np.random.Generator, noise: float = 0.3) -> np.ndarray:
    """(N, 12, length) float32 mV: a (1 + class) Hz sinusoid per lead plus noise."""
    t = np.arange(length) / RATE_HZ
    phase = rng.uniform(0, 2 * np.pi, size=(len(y), N_LEADS, 1))
    x = np.sin(2 * np.pi * (1.0 + y[:, None, None]) * t[None, None, :] + phase)
    return (x + noise * rng.standard_normal(x.shape)).astype(np.float32)


def labels(counts: dict[str, int]) -> np.ndarray:
    return np.concatenate([np.full(n, CLASSES.index(c)) for c, n in counts.items()]).astype(np.int64)


def write_dataset(out_dir: Path, name: str, split_counts: dict[str, dict[str, int]], length: int, seed: int) -> None:
    """results/data/{name}/: records.csv and {split}.npy with the given class counts per split."""
    rng = np.random.default_rng(seed)
    rows = []
    for split, counts in split_counts.items():
        y = labels(counts)
        x = class_signals(y, length, rng)
        writer = SplitWriter(out_dir / f"{split}.npy", len(y), length)
        for i in range(len(y)):
            writer.write(i, x[i])
            rows.append({"record_id": f"{name}-{split}-{i}", "patient_id": f"{name}-p{split}{i}", "source_path": f"{name}/{split}/{i}",
                         "raw_labels": CLASSES[y[i]], "label": CLASSES[y[i]], "split": split, "status": "kept", "reason": ""})
        writer.close()
    rows.append({"record_id": f"{name}-excluded", "patient_id": "p-x", "source_path": "x", "raw_labels": "PACE",
                 "label": "", "split": "", "status": "excluded", "reason": "rhythm outside the seven classes"})
    write_records(out_dir / "records.csv", pd.DataFrame(rows))


def write_fixture_bank(out_dir: Path, counts: dict[str, int], length: int, seed: int, generator: str) -> None:
    rng = np.random.default_rng(seed)
    y = labels(counts)
    write_bank(out_dir, class_signals(y, length, rng, noise=0.4), y, {"generator": generator, "seed": seed, "fixture": True})


DEFAULT_SPLITS = {
    "train": {"SBRAD": 12, "SR": 30, "AFIB": 12, "STACH": 10, "AFLT": 6, "SARRH": 8, "SVTAC": 3},
    "val": {"SBRAD": 3, "SR": 6, "AFIB": 3, "STACH": 3, "AFLT": 2, "SARRH": 2, "SVTAC": 1},
    "test": {"SBRAD": 3, "SR": 7, "AFIB": 3, "STACH": 3, "AFLT": 2, "SARRH": 2, "SVTAC": 1},
}
BANK_COUNTS = {c: 10 for c in CLASSES}


def write_study_inputs(workdir: Path, generators: list[str], length: int = 200, seed: int = 0) -> None:
    """Prepared ptbxl, chapman and merged data plus one bank per (dataset, generator), in ``workdir``."""
    for k, name in enumerate(("ptbxl", "chapman")):
        write_dataset(workdir / "results" / "data" / name, name, DEFAULT_SPLITS, length, seed + k)
    merged = {s: {c: 2 * n for c, n in counts.items()} for s, counts in DEFAULT_SPLITS.items()}
    write_dataset(workdir / "results" / "data" / "merged", "merged", merged, length, seed + 2)
    for k, dataset in enumerate(("ptbxl", "chapman", "merged")):
        for j, g in enumerate(generators):
            write_fixture_bank(workdir / "results" / "synthetic" / dataset / g, BANK_COUNTS, length, seed + 10 * k + j + 100, g)

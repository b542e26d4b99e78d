"""The synthetic-bank contract, written and read here only.

``results/synthetic/{dataset}/{generator}/``:

- ``bank.npy``: float32 (N, 12, L) in mV, canonical lead order, same rate as the prepared data;
- ``labels.csv``: columns ``index, label`` (row index into bank.npy, class name);
- ``bank.json``: provenance (generator, config, seed, checkpoint hash, sampler, steps, time...).

The generator ``all`` is the concatenation of the configured banks (``concat_banks``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synecg.constants import CLASS_INDEX, CLASSES, N_LEADS, SPLITS
from synecg.errors import ContractError
from synecg.io import atomic_path, read_json, write_json


@dataclass
class Bank:
    """A synthetic sample bank: x (N, 12, L) float32 mV, y (N,) class indices, provenance."""

    x: np.ndarray
    y: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.y)


def write_bank(out_dir: str | Path, x: np.ndarray, y: np.ndarray, meta: dict[str, Any]) -> None:
    """Write bank.npy, labels.csv and bank.json (each atomically)."""
    out_dir = Path(out_dir)
    x = np.asarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    _check(out_dir / "bank.npy", x, y)
    with atomic_path(out_dir / "bank.npy") as tmp:
        np.save(tmp, x)
    labels = pd.DataFrame({"index": np.arange(len(y)), "label": [CLASSES[i] for i in y]})
    with atomic_path(out_dir / "labels.csv") as tmp:
        labels.to_csv(tmp, index=False)
    write_json(out_dir / "bank.json", {**meta, "n_samples": int(len(y)), "shape": list(x.shape)})


def load_bank(bank_dir: str | Path, mmap: bool = False) -> Bank:
    """Read and validate one bank folder."""
    bank_dir = Path(bank_dir)
    x = np.load(bank_dir / "bank.npy", mmap_mode="r" if mmap else None)
    labels = pd.read_csv(bank_dir / "labels.csv")
    unknown = sorted(set(labels["label"]) - set(CLASSES))
    if unknown:
        raise ContractError(bank_dir / "labels.csv", f"unknown class names {unknown}")
    if not np.array_equal(labels["index"].to_numpy(), np.arange(len(labels))):
        raise ContractError(bank_dir / "labels.csv", "index column is not 0..N-1 in order")
    y = labels["label"].map(CLASS_INDEX).to_numpy(dtype=np.int64)
    _check(bank_dir / "bank.npy", x, y)
    return Bank(x=x, y=y, meta=read_json(bank_dir / "bank.json"))


def concat_banks(banks: list[Bank], names: list[str]) -> Bank:
    """The union of several banks (e.g. generator ``all``, or the merged dataset's bank)."""
    if not banks:
        raise ValueError("concat_banks needs at least one bank")
    lengths = {b.x.shape[-1] for b in banks}
    if len(lengths) != 1:
        raise ContractError(",".join(names), f"banks have different signal lengths {sorted(lengths)}")
    return Bank(
        x=np.concatenate([np.asarray(b.x) for b in banks]),
        y=np.concatenate([b.y for b in banks]),
        meta={"parts": {n: b.meta for n, b in zip(names, banks)}},
    )


def split_bank(y: np.ndarray, rng: np.random.Generator, fractions=(0.8, 0.1, 0.1)) -> dict[str, np.ndarray]:
    """Split bank row indices per class into train/val/test (the paper's 80/10/10), seeded.

    Every class with at least three samples has at least one in each split.
    """
    parts: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n = len(idx)
        n_val = int(round(fractions[1] * n))
        n_test = int(round(fractions[2] * n))
        if n >= 3:
            n_val, n_test = max(n_val, 1), max(n_test, 1)
        n_train = n - n_val - n_test
        parts["train"].append(idx[:n_train])
        parts["val"].append(idx[n_train : n_train + n_val])
        parts["test"].append(idx[n_train + n_val :])
    return {s: np.sort(np.concatenate(p)) if p else np.array([], dtype=np.int64) for s, p in parts.items()}


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file (checkpoint hashes in bank.json)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _check(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    if x.ndim != 3 or x.shape[1] != N_LEADS:
        raise ContractError(path, f"expected (N, {N_LEADS}, L), found {x.shape}")
    if x.dtype != np.float32:
        raise ContractError(path, f"expected float32, found {x.dtype}")
    if len(x) != len(y):
        raise ContractError(path, f"{len(x)} signals but {len(y)} labels")
    if len(y) and (y.min() < 0 or y.max() >= len(CLASSES)):
        raise ContractError(path, "label index outside 0..6")


def class_draws(
    n_per_class: int,
    n_classes: int,
    prior: str,
    rng: np.random.Generator,
    train_labels: np.ndarray | None = None,
) -> np.ndarray:
    """Class indices of a bank: ``balanced`` (n_per_class of each class, in class order) or ``real``
    (n_per_class * n_classes draws from the training-split class frequencies, sorted).

    A class absent from the training split cannot be learned, so ``balanced`` skips classes whose
    training count is 0 when ``train_labels`` is given.
    """
    counts = np.bincount(train_labels, minlength=n_classes) if train_labels is not None else np.ones(n_classes)
    if prior == "balanced":
        present = np.flatnonzero(counts > 0)
        return np.repeat(present, n_per_class).astype(np.int64)
    if prior == "real":
        if train_labels is None:
            raise ValueError("class_prior 'real' needs the training labels")
        p = counts / counts.sum()
        return np.sort(rng.choice(n_classes, size=n_per_class * n_classes, p=p)).astype(np.int64)
    raise ValueError(f"class prior must be 'balanced' or 'real', got {prior!r}")

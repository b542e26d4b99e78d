"""The prepared-data contract, written and read here only.

``results/data/{dataset}/``:

- ``records.csv``: one row per raw record, columns ``RECORD_COLUMNS``; ``status`` is one of
  kept / excluded / quarantined, and ``reason`` says why for the last two.
- ``{split}.npy``: float32 (N, 12, L) in mV, canonical lead order (``synecg.LEADS``); row i is
  the i-th kept row of that split in ``records.csv`` order.
- ``summary.csv``: class counts per split.

Arrays are written incrementally through a memory map so that preparing 45k records at 500 Hz
never holds them all in RAM.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
from numpy.lib.format import open_memmap

from synecg.constants import CLASS_INDEX, CLASSES, N_LEADS, SPLITS
from synecg.errors import ContractError

RECORD_COLUMNS: tuple[str, ...] = (
    "record_id",
    "patient_id",
    "source_path",
    "raw_labels",
    "label",
    "split",
    "status",
    "reason",
)
STATUSES: tuple[str, ...] = ("kept", "excluded", "quarantined")


class SplitWriter:
    """Write one split's (N, 12, L) float32 array row by row into a memory-mapped .npy file.

    The file appears under its final name only after ``close()`` (written to a temporary name,
    then renamed), so an interrupted run never leaves an array that looks complete.
    """

    def __init__(self, path: str | Path, n_records: int, n_samples: int):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.stem}.partial.npy")
        self._array = open_memmap(self._tmp, mode="w+", dtype=np.float32, shape=(n_records, N_LEADS, n_samples))
        self._filled = np.zeros(n_records, dtype=bool)

    def write(self, row: int, signal_mv: np.ndarray) -> None:
        """Store one record, (12, L) in mV, at ``row``."""
        self._array[row] = signal_mv
        self._filled[row] = True

    def close(self) -> None:
        if not self._filled.all():
            missing = np.flatnonzero(~self._filled)[:5].tolist()
            raise ContractError(self.path, f"rows never written (first: {missing})")
        self._array.flush()
        del self._array
        os.replace(self._tmp, self.path)


class SplitAppender:
    """Append (12, L) rows to a split array whose final length is known only at the end.

    Space for ``capacity`` rows is mapped up front; ``close()`` keeps the rows appended so far,
    rewrites the .npy header in place for that many rows (same header length, so the data stay
    aligned), truncates the file and renames it onto its final name. Memory stays flat: rows go
    straight to disk. Used where records can still fail while being read (quarantined).
    """

    def __init__(self, path: str | Path, capacity: int, n_samples: int):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.stem}.partial.npy")
        self.n_samples = n_samples
        self.capacity = capacity
        self.rows = 0
        self._array = open_memmap(self._tmp, mode="w+", dtype=np.float32, shape=(max(capacity, 1), N_LEADS, n_samples))

    def append(self, signal_mv: np.ndarray) -> int:
        """Store one record (12, L) in mV as the next row; returns its row index."""
        if self.rows >= self.capacity:
            raise ContractError(self.path, f"more than the {self.capacity} rows planned")
        self._array[self.rows] = signal_mv
        self.rows += 1
        return self.rows - 1

    def close(self) -> None:
        self._array.flush()
        offset = self._array.offset
        del self._array
        header = {"descr": "<f4", "fortran_order": False, "shape": (self.rows, N_LEADS, self.n_samples)}
        text = repr(header).encode("latin1")
        prefix_len = len(np.lib.format.magic(1, 0)) + 2  # magic string + uint16 header length (v1.0)
        space = offset - prefix_len - 1  # header text + padding, then a newline
        if offset >= 65536 + prefix_len or len(text) > space:
            raise ContractError(self.path, f"cannot rewrite a .npy header of {offset} bytes in place")
        with open(self._tmp, "r+b") as fh:
            fh.seek(0)
            fh.write(np.lib.format.magic(1, 0) + int(offset - prefix_len).to_bytes(2, "little"))
            fh.write(text + b" " * (space - len(text)) + b"\n")
            fh.truncate(offset + self.rows * N_LEADS * self.n_samples * 4)
        os.replace(self._tmp, self.path)


def write_records(path: str | Path, records: pd.DataFrame) -> None:
    """Validate and write ``records.csv`` (atomically)."""
    from synecg.io import atomic_path

    check_records(records, path)
    with atomic_path(path) as tmp:
        records.loc[:, list(RECORD_COLUMNS)].to_csv(tmp, index=False)


def read_records(path: str | Path) -> pd.DataFrame:
    """Read and validate ``records.csv``."""
    records = pd.read_csv(path, dtype={"record_id": str, "patient_id": str}, keep_default_na=False)
    check_records(records, path)
    return records


def check_records(records: pd.DataFrame, path: str | Path = "<records>") -> None:
    missing = [c for c in RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise ContractError(path, f"missing columns {missing}")
    bad_status = sorted(set(records["status"]) - set(STATUSES))
    if bad_status:
        raise ContractError(path, f"unknown status values {bad_status}")
    kept = records[records["status"] == "kept"]
    bad_labels = sorted(set(kept["label"]) - set(CLASSES))
    if bad_labels:
        raise ContractError(path, f"kept rows with labels outside the seven classes: {bad_labels}")
    bad_split = sorted(set(kept["split"]) - set(SPLITS))
    if bad_split:
        raise ContractError(path, f"kept rows with unknown split {bad_split}")
    unexplained = records[(records["status"] != "kept") & (records["reason"].astype(str).str.len() == 0)]
    if len(unexplained):
        raise ContractError(path, f"{len(unexplained)} excluded/quarantined rows without a reason")


def kept_rows(records: pd.DataFrame, split: str) -> pd.DataFrame:
    """The kept rows of one split, in file order (= row order of ``{split}.npy``)."""
    return records[(records["status"] == "kept") & (records["split"] == split)].reset_index(drop=True)


def load_split(dataset_dir: str | Path, split: str, mmap: bool = True) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Load one prepared split: (X float32 (N, 12, L) mV, y int64 class indices (N,), its records rows)."""
    dataset_dir = Path(dataset_dir)
    records = read_records(dataset_dir / "records.csv")
    rows = kept_rows(records, split)
    path = dataset_dir / f"{split}.npy"
    x = np.load(path, mmap_mode="r" if mmap else None)
    if x.ndim != 3 or x.shape[1] != N_LEADS or x.dtype != np.float32:
        raise ContractError(path, f"expected float32 (N, {N_LEADS}, L), found {x.dtype} {x.shape}")
    if x.shape[0] != len(rows):
        raise ContractError(path, f"{x.shape[0]} rows but records.csv lists {len(rows)} kept {split} records")
    y = rows["label"].map(CLASS_INDEX).to_numpy(dtype=np.int64)
    return x, y, rows


def class_summary(records: pd.DataFrame) -> pd.DataFrame:
    """Class counts per split of the kept records: index = class, columns = splits + total."""
    kept = records[records["status"] == "kept"]
    table = pd.crosstab(kept["label"], kept["split"]).reindex(index=list(CLASSES), columns=list(SPLITS), fill_value=0)
    table["total"] = table.sum(axis=1)
    table.index.name = "class"
    return table

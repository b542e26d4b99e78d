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


class SplitSlots:
    """A split array whose rows are filled at known slots, by any process, in any order.

    Row ``k`` belongs to the k-th record planned for the split. Workers write their rows
    straight into the file (``write_slot`` with ``target``: no array travels between
    processes, memory stays flat). ``close(filled)`` then drops the slots never filled (records
    quarantined while being read), moving later rows up so that order is kept, rewrites the
    .npy header for the rows that remain and renames the file onto its final name.
    """

    def __init__(self, path: str | Path, capacity: int, n_samples: int):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.path.with_name(f".{self.path.stem}.partial.npy")
        self.capacity = capacity
        self.n_samples = n_samples
        self.row_bytes = N_LEADS * n_samples * 4
        with open(self._tmp, "wb") as fh:
            self.header_len = _write_npy_header(fh, (capacity, N_LEADS, n_samples))
            fh.truncate(self.header_len + capacity * self.row_bytes)
        self._inode = os.stat(self._tmp).st_ino

    @property
    def target(self) -> tuple[str, int, int, int, int]:
        """What ``write_slot`` needs (picklable): file, its inode, header length, row bytes, capacity."""
        return str(self._tmp), self._inode, self.header_len, self.row_bytes, self.capacity

    def close(self, filled: list[bool] | np.ndarray) -> int:
        """Keep the filled slots in order, finish the file; returns the number of rows."""
        filled = np.asarray(filled, dtype=bool)
        if filled.shape != (self.capacity,):
            raise ContractError(self.path, f"{filled.size} slot flags for {self.capacity} slots")
        rows = int(filled.sum())
        _release_slot_file(self.target)
        with open(self._tmp, "r+b") as fh:
            if rows < self.capacity:
                _compact_rows(fh, filled, self.header_len, self.row_bytes)
            fh.truncate(self.header_len + rows * self.row_bytes)
            _write_npy_header(fh, (rows, N_LEADS, self.n_samples), self.header_len)
        os.replace(self._tmp, self.path)
        return rows


    def discard(self) -> None:
        """Remove the unfinished file (a failed run leaves nothing behind)."""
        _release_slot_file(self.target)
        self._tmp.unlink(missing_ok=True)


# Descriptors of slot files this process writes to, kept open across its records (opening the
# file for every row costs more than writing it). Keyed by (path, inode); released on close.
_SLOT_FILES: dict[tuple[str, int], int] = {}


def write_slot(target: tuple[str, int, int, int, int], slot: int, signal_mv: np.ndarray) -> None:
    """Write one record (12, L) in mV into slot ``slot`` of a SplitSlots file."""
    path, inode, header_len, row_bytes, capacity = target
    row = np.ascontiguousarray(signal_mv, dtype="<f4")
    if row.nbytes != row_bytes or not 0 <= slot < capacity:
        raise ContractError(path, f"row of {row.nbytes} bytes for slot {slot}: expected {row_bytes} bytes, slot < {capacity}")
    fd = _SLOT_FILES.get((path, inode))
    if fd is None:
        fd = _SLOT_FILES[(path, inode)] = os.open(path, os.O_WRONLY)
    os.pwrite(fd, row.tobytes(), header_len + slot * row_bytes)


def _release_slot_file(target: tuple) -> None:
    fd = _SLOT_FILES.pop((target[0], target[1]), None)
    if fd is not None:
        os.close(fd)


def _write_npy_header(fh, shape: tuple[int, ...], length: int | None = None) -> int:
    """Write a v1.0 .npy header for float32 ``shape`` at the file start, padded to ``length``
    bytes (or to a multiple of 64 with room for larger shapes); returns its length."""
    text = repr({"descr": "<f4", "fortran_order": False, "shape": tuple(shape)}).encode("latin1")
    magic = np.lib.format.magic(1, 0)
    prefix = len(magic) + 2
    if length is None:
        length = -(-(prefix + len(text) + 1 + 16) // 64) * 64
    space = length - prefix - 1
    if len(text) > space or length - prefix >= 65536:
        raise ContractError(getattr(fh, "name", "<npy>"), f"a .npy header for {shape} does not fit in {length} bytes")
    fh.seek(0)
    fh.write(magic + int(length - prefix).to_bytes(2, "little"))
    fh.write(text + b" " * (space - len(text)) + b"\n")
    return length


def _compact_rows(fh, filled: np.ndarray, header_len: int, row_bytes: int, block_rows: int = 1024) -> None:
    """Move the filled rows up over the unfilled ones, in order, a block at a time."""
    out = 0
    for start in range(0, len(filled), block_rows):
        keep = np.flatnonzero(filled[start : start + block_rows])
        if keep.size == 0:
            continue
        fh.seek(header_len + start * row_bytes)
        block = np.frombuffer(fh.read(min(block_rows, len(filled) - start) * row_bytes), dtype=np.uint8)
        block = block.reshape(-1, row_bytes)[keep]
        fh.seek(header_len + out * row_bytes)
        fh.write(block.tobytes())
        out += keep.size


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

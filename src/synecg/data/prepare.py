"""Raw dataset -> the prepared-data contract (synecg.data.store): records.csv, {split}.npy, summary.csv,
and label_rules.csv (records per class under each multi-rhythm rule: how the class sizes depend on it).

Steps: catalogue every record found (readers ptbxl / chapman: labels, splits, data problems
visible without samples) -> check no patient sits in two splits -> read the candidates over a
process pool in catalogue order, each into its split's array as it arrives (memory flat) ->
record every outcome (kept / excluded / quarantined, with reasons) -> check the counts
reconcile: kept + excluded + quarantined = records found.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

from synecg.constants import CLASSES, SPLITS
from synecg.data import chapman, ptbxl
from synecg.data.catalog import group_ids
from synecg.data.labels import CHAPMAN_ACRONYM_TO_CLASS, PTBXL_CODE_TO_CLASS, RAREST_FIRST, resolve_rhythm
from synecg.data.signals import SignalSpec, try_prepare_signal
from synecg.data.splits import check_patients_disjoint, stratified_group_split
from synecg.data.store import SplitSlots, SplitWriter, write_slot, class_summary, kept_rows, load_split, read_records, write_records
from synecg.errors import DatasetError
from synecg.io import atomic_path
from synecg.seeding import numpy_rng

SOURCE_RATE = {"chapman": 500}  # PTB-XL ships both rates: the prepared rate's files are read
RHYTHM_CLASSES = {"ptbxl": PTBXL_CODE_TO_CLASS, "chapman": CHAPMAN_ACRONYM_TO_CLASS}
_LOG = logging.getLogger("synecg")


def signal_spec(dataset: str, sampling_rate: int, seconds: float, prepare_cfg: dict[str, Any]) -> SignalSpec:
    """What the records of ``dataset`` must look like and what they become, from the config."""
    filt = prepare_cfg.get("filter", {})
    band = (float(filt["highpass_hz"]), float(filt["lowpass_hz"])) if filt.get("enabled", False) else None
    return SignalSpec(
        source_fs=SOURCE_RATE.get(dataset, sampling_rate),
        target_fs=sampling_rate,
        seconds=seconds,
        all_zero_leads=prepare_cfg.get("all_zero_leads", "quarantine"),
        filter_band_hz=band,
        filter_order=int(filt.get("order", 2)),
    )


def multi_rhythm_rule(prepare_cfg: dict[str, Any]) -> str | list[str]:
    """The configured multi-rhythm rule: ``drop`` or a priority list (default: rarest first)."""
    rule = prepare_cfg.get("multi_rhythm", list(RAREST_FIRST))
    return rule if rule == "drop" else list(rule)


def rule_sensitivity(catalog: pd.DataFrame, dataset: str, configured: str | list[str]) -> pd.DataFrame:
    """Records labelled per class (index: the seven classes, then ``excluded`` and ``total``) under
    each multi-rhythm rule (columns: ``drop``, ``rarest_first``, and ``configured`` when it is
    neither; the configured rule's column is marked ``(configured)``), from the catalogue's rhythm
    statements. Counted before signals are read: records quarantined later count under every rule."""
    rules: dict[str, str | list[str]] = {"drop": "drop", "rarest_first": list(RAREST_FIRST)}
    if configured not in rules.values():
        rules["configured"] = configured
    labelled = catalog[catalog["status"] != "quarantined"]
    statements = [r.split(";") if r else [] for r in labelled["rhythms"].fillna("").astype(str)]
    table = {}
    for name, rule in rules.items():
        labels = pd.Series([resolve_rhythm(s, RHYTHM_CLASSES[dataset], rule).label for s in statements], dtype=object)
        counts = labels[labels != ""].value_counts().reindex(list(CLASSES), fill_value=0)
        counts["excluded"] = int((labels == "").sum())
        counts["total"] = len(labels)
        table[f"{name} (configured)" if rule == configured and name != "configured" else name] = counts.astype(int)
    frame = pd.DataFrame(table)
    frame.index.name = "class"
    return frame


def build_catalog(dataset: str, root: str | Path, spec: SignalSpec, prepare_cfg: dict[str, Any], seed: int) -> pd.DataFrame:
    """The catalogue of one source dataset; candidates carry their split."""
    multi = multi_rhythm_rule(prepare_cfg)
    if dataset == "ptbxl":
        return ptbxl.catalog(root, spec.source_fs, multi)
    if dataset == "chapman":
        frame = chapman.catalog(root, multi)
        candidates = frame["status"] == "candidate"
        fractions = prepare_cfg.get("split_fractions", {"train": 0.8, "val": 0.1, "test": 0.1})
        if abs(sum(fractions.values()) - 1.0) > 1e-6:
            raise ValueError(f"config prepare.split_fractions {fractions} must add up to 1")
        splits = stratified_group_split(frame.loc[candidates, "label"], group_ids(frame[candidates]), fractions,
                                        numpy_rng(seed, "split", dataset))
        frame.loc[candidates, "split"] = splits.to_numpy()
        return frame
    raise ValueError(f"no reader for dataset {dataset!r}; expected ptbxl or chapman")


def _prepare_into(task: tuple[str, str, int], spec: SignalSpec, targets: dict) -> str:
    """Worker: prepare one record and write it into its split slot; "" or the quarantine reason."""
    path, split, slot = task
    signal, reason = try_prepare_signal(path, spec)
    if signal is not None:
        write_slot(targets[split], slot, signal)
    return reason


def _run(tasks: list, work, threads: int) -> Iterator[str]:
    """``work`` over ``tasks`` in order, spread over ``threads`` processes."""
    if threads <= 1 or len(tasks) < 2 * threads:
        yield from map(work, tasks)
        return
    chunk = max(1, min(256, len(tasks) // (threads * 8)))
    with multiprocessing.get_context("fork").Pool(threads) as pool:
        yield from pool.imap(work, tasks, chunksize=chunk)


def read_candidates(frame: pd.DataFrame, spec: SignalSpec, out_dir: str | Path, threads: int = 1,
                    log: logging.Logger = _LOG) -> pd.DataFrame:
    """Read every candidate into its split array; candidates become kept or quarantined.

    Each candidate owns the next slot of its split (catalogue order); workers write rows into
    their slots directly, and closing the arrays drops the slots of quarantined records.
    """
    out_dir = Path(out_dir)
    frame = frame.copy()
    candidates = frame.index[frame["status"] == "candidate"]
    splits = frame.loc[candidates, "split"].tolist()
    slots, counts = [], Counter()
    for split in splits:
        slots.append(counts[split])
        counts[split] += 1
    arrays = {split: SplitSlots(out_dir / f"{split}.npy", counts[split], spec.n_target) for split in SPLITS}
    targets = {split: array.target for split, array in arrays.items()}
    tasks = list(zip(frame.loc[candidates, "source_path"].tolist(), splits, slots))
    work = partial(_prepare_into, spec=spec, targets=targets)
    reasons = []
    try:
        for done, reason in enumerate(_run(tasks, work, threads), start=1):
            reasons.append(reason)
            if done % 5000 == 0:
                log.info("read %d / %d records", done, len(tasks))
    except BaseException:
        for array in arrays.values():
            array.discard()
        raise
    ok = np.array([not r for r in reasons], dtype=bool)
    split_array = np.array(splits, dtype=object)
    for split, array in arrays.items():
        array.close(ok[split_array == split])
    frame.loc[candidates, "status"] = np.where(ok, "kept", "quarantined")
    frame.loc[candidates, "reason"] = reasons
    frame.loc[frame["status"] == "quarantined", "split"] = ""
    return frame


def reconcile(records: pd.DataFrame, found: int, path: str | Path, log: logging.Logger = _LOG) -> None:
    """Log the outcome counts and the reasons; DatasetError unless kept + excluded + quarantined = found."""
    counts = records["status"].value_counts().reindex(["kept", "excluded", "quarantined"], fill_value=0)
    log.info("records found %d: kept %d, excluded %d, quarantined %d", found, *counts.tolist())
    for status in ("excluded", "quarantined"):
        reasons = Counter(_reason_kind(r) for r in records.loc[records["status"] == status, "reason"])
        for reason, n in reasons.most_common():
            log.info("  %s %5d  %s", status, n, reason)
    if int(counts.sum()) != found or len(records) != found:
        raise DatasetError(path, f"counts do not reconcile: {counts.to_dict()} vs {found} records found")


def _reason_kind(reason: str) -> str:
    """A reason without its record-specific details (for counting)."""
    for cut in (" (", ": header says", " first at"):
        if cut in reason:
            reason = reason.split(cut)[0]
    return reason


def prepare_dataset(dataset: str, root: str | Path, out_dir: str | Path, sampling_rate: int, seconds: float,
                    prepare_cfg: dict[str, Any], seed: int, threads: int = 1, log: logging.Logger = _LOG) -> pd.DataFrame:
    """Prepare one source dataset into ``out_dir`` (records.csv, train/val/test.npy, summary.csv,
    label_rules.csv)."""
    out_dir = Path(out_dir)
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(root, f"raw {dataset} folder not found")
    spec = signal_spec(dataset, sampling_rate, seconds, prepare_cfg)
    log.info("preparing %s from %s: %g Hz -> %d Hz, %d threads", dataset, root, spec.source_fs, spec.target_fs, threads)
    frame = build_catalog(dataset, root, spec, prepare_cfg, seed)
    sensitivity = rule_sensitivity(frame, dataset, multi_rhythm_rule(prepare_cfg))
    log.info("records per class under each multi-rhythm rule:\n%s", sensitivity.to_string())
    found = len(frame)
    candidates = frame[frame["status"] == "candidate"].assign(status="kept")
    if candidates.empty:
        raise DatasetError(root, f"no usable {dataset} records among {found} found")
    check_patients_disjoint(candidates, root)
    records = read_candidates(frame, spec, out_dir, threads, log)
    check_patients_disjoint(records, out_dir / "records.csv")
    reconcile(records, found, out_dir / "records.csv", log)
    write_records(out_dir / "records.csv", records)
    write_summary(out_dir / "summary.csv", records)
    with atomic_path(out_dir / "label_rules.csv") as tmp:
        sensitivity.to_csv(tmp)
    return records


def write_summary(path: str | Path, records: pd.DataFrame) -> None:
    with atomic_path(path) as tmp:
        class_summary(records).to_csv(tmp)


def merge_datasets(parts: dict[str, str | Path], out_dir: str | Path, log: logging.Logger = _LOG) -> pd.DataFrame:
    """Join prepared datasets per split (rows of the first, then the second ...), ids prefixed
    ``<dataset>:``, so that the merged records.csv and arrays follow the same contract."""
    out_dir = Path(out_dir)
    tables = []
    for name, folder in parts.items():
        records = read_records(Path(folder) / "records.csv")
        for column in ("record_id", "patient_id"):
            has = records[column].astype(str).str.len() > 0
            records[column] = records[column].astype(str).where(~has, f"{name}:" + records[column].astype(str))
        tables.append(records)
    merged = pd.concat(tables, ignore_index=True)
    check_patients_disjoint(merged, out_dir / "records.csv")
    for split in SPLITS:
        arrays = [load_split(folder, split)[0] for folder in parts.values()]
        lengths = {a.shape[2] for a in arrays}
        if len(lengths) != 1:
            raise DatasetError(out_dir, f"{split} arrays differ in length {sorted(lengths)}: prepared at different rates?")
        writer = SplitWriter(out_dir / f"{split}.npy", sum(len(a) for a in arrays), lengths.pop())
        row = 0
        for array in arrays:
            for start in range(0, len(array), 256):  # 256 rows: 61 MB at 500 Hz
                block = np.asarray(array[start : start + 256])
                for k in range(len(block)):
                    writer.write(row, block[k])
                    row += 1
        writer.close()
        log.info("merged %s: %d records", split, row)
    for split in SPLITS:
        rows = np.load(out_dir / f"{split}.npy", mmap_mode="r").shape[0]
        if rows != len(kept_rows(merged, split)):
            raise DatasetError(out_dir / f"{split}.npy", f"{rows} rows, records.csv lists {len(kept_rows(merged, split))}")
    write_records(out_dir / "records.csv", merged)
    write_summary(out_dir / "summary.csv", merged)
    return merged

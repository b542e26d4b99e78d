"""PTB-XL v1.0.3: the record catalogue from ``ptbxl_database.csv`` and ``scp_statements.csv``.

Labels come from the rhythm statements (``rhythm == 1`` in ``scp_statements.csv``) among the
record's ``scp_codes`` (likelihoods ignored). Splits: ``strat_fold`` 1-8 train, 9 val, 10 test
(the folds keep each patient in one fold). 100 Hz reads ``filename_lr`` (records100/), 500 Hz
reads ``filename_hr`` (records500/).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from synecg.data.catalog import CATALOG_COLUMNS, catalog_row, mark_duplicates
from synecg.data.labels import PTBXL_CODE_TO_CLASS, parse_scp_codes, resolve_rhythm
from synecg.errors import DatasetError

REQUIRED_COLUMNS = ("ecg_id", "patient_id", "scp_codes", "strat_fold", "filename_lr", "filename_hr")
FOLD_SPLIT = {**{f: "train" for f in range(1, 9)}, 9: "val", 10: "test"}
RATE_FOLDERS = {100: ("filename_lr", "records100"), 500: ("filename_hr", "records500")}


def rhythm_codes(root: Path) -> set[str]:
    """SCP codes marked as rhythm statements in ``scp_statements.csv``."""
    path = root / "scp_statements.csv"
    if not path.is_file():
        raise DatasetError(path, "PTB-XL statement table not found")
    table = pd.read_csv(path, index_col=0)
    if "rhythm" not in table.columns:
        raise DatasetError(path, "no 'rhythm' column")
    return {str(code) for code in table.index[table["rhythm"] == 1]}


def read_database(root: Path) -> pd.DataFrame:
    path = root / "ptbxl_database.csv"
    if not path.is_file():
        raise DatasetError(path, "PTB-XL metadata table not found")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise DatasetError(path, f"missing columns {missing}")
    if table.empty:
        raise DatasetError(path, "no records listed")
    return table


def _clean_id(text: str) -> str:
    """'20372.0' -> '20372' (PTB-XL stores ids as floats); other text unchanged."""
    try:
        value = float(text)
    except ValueError:
        return text.strip()
    return str(int(value)) if value.is_integer() else text.strip()


def _headers_below(root: Path, folder: str) -> set[str]:
    """Relative paths (without .hea) of every header under ``root/folder`` (one walk, no stat per row)."""
    found = set()
    for parent, dirs, files in os.walk(root / folder):
        rel_parent = os.path.relpath(parent, root)
        found.update(os.path.join(rel_parent, f[:-4]) for f in files if f.endswith(".hea"))
    return found


def catalog(root: str | Path, source_fs: int, multi_rhythm: str | list[str]) -> pd.DataFrame:
    """Every PTB-XL record found (table rows and record files), with label, split and status.

    status is ``candidate`` (to be read), ``excluded`` (by the label rule) or ``quarantined``
    (a data problem: row without files, file without row, duplicate id, bad scp_codes or fold).
    """
    root = Path(root)
    if source_fs not in RATE_FOLDERS:
        raise ValueError(f"PTB-XL ships 100 and 500 Hz records, not {source_fs} Hz")
    column, folder = RATE_FOLDERS[source_fs]
    rhythms = rhythm_codes(root)
    table = read_database(root)
    headers_on_disk = _headers_below(root, folder)
    rows = []
    listed = set()
    columns = [table[c].tolist() for c in ("ecg_id", "patient_id", "scp_codes", "strat_fold", column)]
    for ecg_id, patient, scp_codes, fold, rel in zip(*columns):
        record_id, patient_id = _clean_id(ecg_id), _clean_id(patient)
        rel = os.path.normpath(rel.strip())
        listed.add(rel)
        header = os.path.join(root, rel + ".hea")
        base = dict(record_id=record_id, patient_id=patient_id, source_path=header)
        try:
            codes = parse_scp_codes(scp_codes)
        except (ValueError, SyntaxError):
            rows.append(catalog_row(**base, raw_labels=scp_codes, status="quarantined",
                                    reason=f"unreadable scp_codes {scp_codes!r}"))
            continue
        raw = ";".join(sorted(codes))
        if rel not in headers_on_disk:
            rows.append(catalog_row(**base, raw_labels=raw, status="quarantined",
                                    reason=f"table row without record files ({rel}.hea not found)"))
            continue
        try:
            split = FOLD_SPLIT[int(float(fold))]
        except (ValueError, KeyError):
            rows.append(catalog_row(**base, raw_labels=raw, status="quarantined",
                                    reason=f"strat_fold {fold!r} is not 1-10"))
            continue
        statements = sorted(c for c in codes if c in rhythms)
        decision = resolve_rhythm(statements, PTBXL_CODE_TO_CLASS, multi_rhythm)
        rows.append(catalog_row(**base, raw_labels=raw, label=decision.label, split=split if decision.ok else "",
                                status="candidate" if decision.ok else "excluded", reason=decision.reason,
                                rhythms=";".join(statements)))
    for rel in sorted(set(headers_on_disk) - listed):
        if not rel.startswith(folder + os.sep):
            continue  # the other rate's records: not this preparation's files
        stem = os.path.basename(rel)
        rows.append(catalog_row(record_id=stem.split("_")[0].lstrip("0") or "0", patient_id="",
                                source_path=os.path.join(root, rel + ".hea"), status="quarantined",
                                reason="record file without a row in ptbxl_database.csv"))
    frame = pd.DataFrame(rows, columns=list(CATALOG_COLUMNS))
    return mark_duplicates(frame)

"""Chapman/Ningbo ("A large scale 12-lead ECG database for arrhythmia study" v1.0.0) catalogue.

Records (``JS*.hea`` + ``.mat``) are found by walking the whole tree, so the PhysioNet layout
(``WFDBRecords/NN/NNN/``) and flat copies both work. Labels: the ``#Dx`` SNOMED-CT codes, after
the authors' three replacements, looked up in ``ConditionNames_SNOMED-CT.csv``; the rhythm
acronyms map to the seven classes (SB, SR, AFIB, ST, AF = flutter, SA = sinus irregularity, SVT).
The database has no patient id, so each record is its own group when splitting.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from synecg.data.catalog import CATALOG_COLUMNS, catalog_row, mark_duplicates
from synecg.data.labels import (
    CHAPMAN_ACRONYM_TO_CLASS,
    CHAPMAN_RHYTHM_ACRONYMS,
    SNOMED_REPLACEMENTS,
    parse_dx,
    resolve_rhythm,
)
from synecg.data.wfdb_io import read_header
from synecg.errors import DatasetError, RecordError

CONDITION_TABLE = "ConditionNames_SNOMED-CT.csv"


def find_condition_table(root: Path) -> Path:
    """``ConditionNames_SNOMED-CT.csv`` at the root (PhysioNet layout) or anywhere below it."""
    direct = root / CONDITION_TABLE
    if direct.is_file():
        return direct
    found = sorted(root.rglob(CONDITION_TABLE)) if root.is_dir() else []
    if not found:
        raise DatasetError(root, f"Chapman condition table {CONDITION_TABLE} not found")
    return found[0]


def snomed_acronyms(path: Path) -> dict[str, set[str]]:
    """SNOMED code -> acronyms (a code can carry several, e.g. 195101003: WAVN and SAAWR)."""
    table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    table.columns = [c.strip() for c in table.columns]
    if not {"AcronymName", "Snomed_CT"} <= set(table.columns):
        raise DatasetError(path, f"expected columns AcronymName and Snomed_CT, found {list(table.columns)}")
    mapping: dict[str, set[str]] = {}
    for acronym, code in zip(table["AcronymName"].str.strip(), table["Snomed_CT"].str.strip()):
        mapping.setdefault(code, set()).add(acronym)
    return mapping


def find_records(root: Path) -> tuple[list[Path], list[Path]]:
    """(JS*.hea headers, JS*.mat files without a header), sorted, at any depth."""
    headers, orphans = [], []
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        names = set(files)
        for name in sorted(files):
            if not name.startswith("JS"):
                continue
            if name.endswith(".hea"):
                headers.append(Path(folder) / name)
            elif name.endswith(".mat") and name[:-4] + ".hea" not in names:
                orphans.append(Path(folder) / name)
    return headers, orphans


def label_from_dx(dx: str | None, acronyms: dict[str, set[str]], multi_rhythm: str | list[str]) -> tuple[str, str, str, str]:
    """(raw_labels, label, reason-or-"", rhythms) for one ``#Dx`` line (rhythms: the rhythm
    acronyms found, ``;``-joined); a reason starting with ``quarantine:`` marks a data problem
    rather than a label rule."""
    codes = parse_dx(dx)
    raw = ";".join(codes)
    if not codes:
        return raw, "", "quarantine:empty #Dx (no SNOMED code)", ""
    codes = [SNOMED_REPLACEMENTS.get(c, c) for c in codes]
    unknown = sorted({c for c in codes if c not in acronyms})
    names = sorted({a for c in codes for a in acronyms.get(c, ())})
    rhythms = [a for a in names if a in CHAPMAN_RHYTHM_ACRONYMS]
    if not rhythms and unknown:
        return raw, "", f"quarantine:unknown SNOMED code(s) {', '.join(unknown)} and no known rhythm code", ""
    decision = resolve_rhythm(rhythms, CHAPMAN_ACRONYM_TO_CLASS, multi_rhythm)
    return raw, decision.label, decision.reason, ";".join(rhythms)


def catalog(root: str | Path, multi_rhythm: str | list[str]) -> pd.DataFrame:
    """Every Chapman record found, with label and status (candidate / excluded / quarantined)."""
    root = Path(root)
    acronyms = snomed_acronyms(find_condition_table(root))
    headers, orphans = find_records(root)
    if not headers and not orphans:
        raise DatasetError(root, "no Chapman records (JS*.hea) found")
    rows = []
    for path in headers:
        base = dict(record_id=path.stem, patient_id="", source_path=str(path))
        try:
            header = read_header(path)
        except RecordError as exc:
            rows.append(catalog_row(**base, status="quarantined", reason=exc.problem))
            continue
        raw, label, reason, rhythms = label_from_dx(header.comment("Dx"), acronyms, multi_rhythm)
        if reason.startswith("quarantine:"):
            rows.append(catalog_row(**base, raw_labels=raw, status="quarantined", reason=reason.split(":", 1)[1]))
        else:
            rows.append(catalog_row(**base, raw_labels=raw, label=label,
                                    status="candidate" if label else "excluded", reason=reason, rhythms=rhythms))
    for path in orphans:
        rows.append(catalog_row(record_id=path.stem, patient_id="", source_path=str(path), status="quarantined",
                                reason="signal file without a header (.hea)"))
    return mark_duplicates(pd.DataFrame(rows, columns=list(CATALOG_COLUMNS)))

"""The record catalogue both readers build: one row per record found, before signals are read.

Columns are those of ``records.csv`` (synecg.data.store.RECORD_COLUMNS) and ``rhythms``, the
record's rhythm statements (dataset names, ``;``-joined) before the multi-rhythm rule, from which
``rule_sensitivity`` re-applies other rules without re-reading headers; ``status`` here is
``candidate`` (labelled, to be read), ``excluded`` (by a label rule) or ``quarantined`` (a data
problem found without reading samples). Reading the candidates turns each into kept or
quarantined.
"""

from __future__ import annotations

import pandas as pd

from synecg.data.store import RECORD_COLUMNS

CATALOG_COLUMNS: tuple[str, ...] = (*RECORD_COLUMNS, "rhythms")


def catalog_row(record_id: str, patient_id: str, source_path: str, raw_labels: str = "", label: str = "",
                split: str = "", status: str = "candidate", reason: str = "", rhythms: str = "") -> dict:
    return dict(record_id=record_id, patient_id=patient_id, source_path=source_path, raw_labels=raw_labels,
                label=label, split=split, status=status, reason=reason, rhythms=rhythms)


def mark_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Quarantine every repeat of a record id after its first occurrence (naming where it was)."""
    frame = frame.reset_index(drop=True).copy()
    first_path = frame.drop_duplicates("record_id").set_index("record_id")["source_path"]
    repeat = frame.duplicated("record_id", keep="first")
    for i in frame.index[repeat]:
        rid = frame.at[i, "record_id"]
        frame.loc[i, ["status", "label", "split"]] = ["quarantined", "", ""]
        frame.at[i, "reason"] = f"duplicate record id {rid} (first at {first_path[rid]})"
    return frame


def group_ids(frame: pd.DataFrame) -> pd.Series:
    """Patient id where one exists, else the record id (each record its own group)."""
    patient = frame["patient_id"].astype(str)
    return patient.where(patient.str.len() > 0, "record:" + frame["record_id"].astype(str))

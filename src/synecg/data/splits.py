"""Train/val/test splits: stratified by class, grouped by patient, seeded; and the leakage check."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synecg.constants import CLASSES, SPLITS
from synecg.errors import DatasetError


def stratified_group_split(labels: pd.Series, groups: pd.Series, fractions: dict[str, float],
                           rng: np.random.Generator) -> pd.Series:
    """Assign each row a split so that every group (patient) sits in one split and each class is
    divided about ``fractions`` (train/val/test).

    A group counts toward its most frequent class (ties: the class order of synecg.CLASSES). Per
    class, its groups are put in a seeded random order; the first ``round(n * test)`` go to test,
    the next ``round(n * val)`` to val, the rest to train; a class with at least three groups
    gets at least one in val and in test.
    """
    labels = pd.Series(labels).reset_index(drop=True)
    groups = pd.Series(groups).reset_index(drop=True).astype(str)
    order = {c: i for i, c in enumerate(CLASSES)}
    table = pd.DataFrame({"group": groups, "label": labels, "rank": labels.map(order)})
    counts = table.groupby(["group", "label", "rank"]).size().rename("n").reset_index()
    counts = counts.sort_values(["group", "n", "rank"], ascending=[True, False, True])
    group_class = counts.drop_duplicates("group").set_index("group")["label"]
    assignment: dict[str, str] = {}
    for cls in sorted(group_class.unique(), key=lambda c: order.get(c, len(order))):
        members = np.array(sorted(group_class.index[group_class == cls]))
        members = members[rng.permutation(len(members))]
        n = len(members)
        n_test = int(round(n * fractions["test"]))
        n_val = int(round(n * fractions["val"]))
        if n >= 3:
            n_test, n_val = max(1, n_test), max(1, n_val)
        for i, group in enumerate(members):
            assignment[group] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return groups.map(assignment)


def check_patients_disjoint(records: pd.DataFrame, path: str | Path = "<records>") -> None:
    """DatasetError if a patient has kept records in two splits (leakage)."""
    kept = records[(records["status"] == "kept") & (records["patient_id"].astype(str).str.len() > 0)]
    spread = kept.groupby("patient_id")["split"].nunique()
    leaking = spread[spread > 1]
    if len(leaking):
        examples = ", ".join(map(str, leaking.index[:5]))
        raise DatasetError(path, f"{len(leaking)} patients in more than one split (e.g. {examples})")
    unknown = sorted(set(kept["split"]) - set(SPLITS))
    if unknown:
        raise DatasetError(path, f"unknown splits {unknown}")

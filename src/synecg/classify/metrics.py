"""Classification metrics of one run on its test set, from class probabilities.

Conventions (documented in docs/classifier.md):

- macro precision / recall / F1 average over the classes *present in the test set* (support > 0);
  a present class that is never predicted has precision 0 (``zero_division=0``, explicit);
- macro one-vs-rest AUROC averages the per-class AUROCs of the present classes, computed from the
  soft-max probabilities; a class absent from the test set has no AUROC (``None``) and is listed
  in ``absent_classes``; with fewer than two classes present the macro AUROC is ``None``;
- per-class F1 is reported for all seven classes, ``None`` for absent ones;
- the confusion matrix is 7 x 7 (rows true, columns predicted) whatever is present.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

from synecg.constants import CLASSES, N_CLASSES

SUMMARY_METRICS: tuple[str, ...] = ("accuracy", "macro_precision", "macro_recall", "macro_f1", "macro_auroc")


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """Metrics of predictions ``proba`` (N, 7) against labels ``y_true`` (N,) (class indices)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != (len(y_true), N_CLASSES):
        raise ValueError(f"probabilities of shape {proba.shape} for {len(y_true)} labels")
    if len(y_true) == 0:
        raise ValueError("no test samples")
    y_pred = proba.argmax(axis=1)
    support = np.bincount(y_true, minlength=N_CLASSES)
    present = np.flatnonzero(support > 0)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=present, average=None, zero_division=0
    )
    per_class_f1: dict[str, float | None] = {c: None for c in CLASSES}
    per_class_auroc: dict[str, float | None] = {c: None for c in CLASSES}
    for k, c in enumerate(present):
        per_class_f1[CLASSES[c]] = float(f1[k])
    if len(present) >= 2:
        for c in present:
            per_class_auroc[CLASSES[c]] = float(roc_auc_score(y_true == c, proba[:, c]))
    aurocs = [v for v in per_class_auroc.values() if v is not None]
    return {
        "n_test": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "macro_auroc": float(np.mean(aurocs)) if aurocs else None,
        "per_class_f1": per_class_f1,
        "per_class_auroc": per_class_auroc,
        "support": {CLASSES[c]: int(support[c]) for c in range(N_CLASSES)},
        "absent_classes": [CLASSES[c] for c in range(N_CLASSES) if support[c] == 0],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=np.arange(N_CLASSES)).tolist(),
    }

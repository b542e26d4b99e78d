"""Classification metrics of one run on its test set, from class probabilities, over all seven
classes always.

Conventions (documented in docs/classifier.md; ``synecg.experiments.stats`` computes the same
numbers on bootstrap resamples):

- labels are fixed to ``range(7)`` whatever the test set holds, ``zero_division=0`` explicit: a
  class never predicted has precision 0, a class absent from the test set recall 0, and F1 is
  0 when its denominator (2 TP + FP + FN) is 0;
- macro precision / recall / F1 average all seven classes, as scikit-learn with ``labels=range(7)``
  does: a class the model predicts but the test set lacks counts (precision 0), and so does an
  absent class nobody predicts (0: the test set cannot show the model recognises it);
- per-class one-vs-rest AUROC from the soft-max probabilities for every class with positive and
  negative test records; an absent class has no AUROC (``None``), so the macro AUROC averages the
  classes that have one (``None`` when none has);
- ``absent_classes`` lists the classes without test records, ``macro_classes`` which classes each
  macro figure averages;
- the confusion matrix is 7 x 7 (rows true, columns predicted).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support, roc_auc_score

from synecg.constants import CLASSES, N_CLASSES

SUMMARY_METRICS: tuple[str, ...] = ("accuracy", "macro_precision", "macro_recall", "macro_f1", "macro_auroc")
LABELS = np.arange(N_CLASSES)


def _per_class(values: np.ndarray) -> dict[str, float]:
    return {c: float(v) for c, v in zip(CLASSES, values)}


def classification_metrics(y_true: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """Metrics of predictions ``proba`` (N, 7) against labels ``y_true`` (N,) (class indices)."""
    y_true = np.asarray(y_true, dtype=np.int64)
    proba = np.asarray(proba, dtype=np.float64)
    if proba.shape != (len(y_true), N_CLASSES):
        raise ValueError(f"probabilities of shape {proba.shape} for {len(y_true)} labels")
    if len(y_true) == 0:
        raise ValueError("no test samples")
    if y_true.min() < 0 or y_true.max() >= N_CLASSES:
        raise ValueError(f"class indices must lie in 0..{N_CLASSES - 1}, got {y_true.min()}..{y_true.max()}")
    y_pred = proba.argmax(axis=1)
    support = np.bincount(y_true, minlength=N_CLASSES)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=LABELS, average=None, zero_division=0
    )
    per_class_auroc: dict[str, float | None] = {c: None for c in CLASSES}
    for c in np.flatnonzero((support > 0) & (support < len(y_true))):
        per_class_auroc[CLASSES[c]] = float(roc_auc_score(y_true == c, proba[:, c]))
    auroc_classes = [c for c, v in per_class_auroc.items() if v is not None]
    return {
        "n_test": int(len(y_true)),
        "accuracy": float((y_pred == y_true).mean()),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "macro_auroc": float(np.mean([per_class_auroc[c] for c in auroc_classes])) if auroc_classes else None,
        "macro_classes": {
            "macro_precision": list(CLASSES), "macro_recall": list(CLASSES), "macro_f1": list(CLASSES),
            "macro_auroc": auroc_classes,
        },
        "per_class_precision": _per_class(precision),
        "per_class_recall": _per_class(recall),
        "per_class_f1": _per_class(f1),
        "per_class_auroc": per_class_auroc,
        "support": {CLASSES[c]: int(support[c]) for c in range(N_CLASSES)},
        "absent_classes": [CLASSES[c] for c in range(N_CLASSES) if support[c] == 0],
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=LABELS).tolist(),
    }

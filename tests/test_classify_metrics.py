"""Metrics against scikit-learn on hand-made cases; absent classes and zero division explicit."""

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    precision_recall_fscore_support,
    precision_score,
    recall_score,
    roc_auc_score,
)

from synecg.classify.metrics import classification_metrics
from synecg.constants import CLASSES


def _proba(pred, n_classes=7, confidence=0.7):
    p = np.full((len(pred), n_classes), (1 - confidence) / (n_classes - 1))
    p[np.arange(len(pred)), pred] = confidence
    return p


def test_metrics_match_scikit_learn_when_every_class_is_present():
    y = np.array([0, 1, 2, 3, 4, 5, 6, 1, 1, 2, 0, 3])
    pred = np.array([0, 1, 2, 3, 4, 6, 6, 1, 2, 2, 1, 3])
    rng = np.random.default_rng(0)
    proba = _proba(pred) + rng.uniform(0, 0.05, (len(y), 7))
    proba /= proba.sum(axis=1, keepdims=True)
    m = classification_metrics(y, proba)
    assert m["n_test"] == 12
    assert m["accuracy"] == pytest.approx(accuracy_score(y, pred))
    assert m["macro_precision"] == pytest.approx(precision_score(y, pred, average="macro", zero_division=0))
    assert m["macro_recall"] == pytest.approx(recall_score(y, pred, average="macro", zero_division=0))
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, average="macro", zero_division=0))
    assert m["macro_auroc"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr", average="macro"))
    assert m["per_class_f1"]["SARRH"] == 0.0  # the one SARRH was called SVTAC
    ref = precision_recall_fscore_support(y, pred, labels=list(range(7)), average=None, zero_division=0)
    assert [m["per_class_recall"][c] for c in CLASSES] == pytest.approx(ref[1])
    assert [m["per_class_auroc"][c] for c in CLASSES] == pytest.approx([roc_auc_score(y == k, proba[:, k]) for k in range(7)])
    assert m["absent_classes"] == [] and m["macro_classes"]["macro_auroc"] == list(CLASSES)
    assert np.array(m["confusion_matrix"]).sum() == 12


def test_macro_figures_average_all_seven_classes_as_scikit_learn_when_a_class_is_absent():
    # SVTAC (6) has no test sample; one SR is wrongly predicted as SVTAC.
    y = np.array([0, 0, 1, 1, 1, 2, 2, 3, 4, 5])
    pred = np.array([0, 0, 1, 1, 6, 2, 2, 3, 4, 5])
    proba = _proba(pred)
    m = classification_metrics(y, proba)
    all_seven = list(range(7))
    assert m["absent_classes"] == ["SVTAC"]
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, labels=all_seven, average="macro", zero_division=0))
    assert m["macro_precision"] == pytest.approx(precision_score(y, pred, labels=all_seven, average="macro", zero_division=0))
    assert m["macro_recall"] == pytest.approx(recall_score(y, pred, labels=all_seven, average="macro", zero_division=0))
    # the old present-classes-only average would have hidden the false SVTAC call
    present_only = f1_score(y, pred, labels=all_seven[:6], average="macro", zero_division=0)
    assert m["macro_f1"] == pytest.approx(present_only * 6 / 7) and m["macro_f1"] < present_only - 0.1
    assert m["per_class_f1"]["SVTAC"] == 0.0 and m["per_class_precision"]["SVTAC"] == 0.0
    assert m["per_class_auroc"]["SVTAC"] is None
    expected_auc = np.mean([roc_auc_score(y == c, proba[:, c]) for c in all_seven[:6]])
    assert m["macro_auroc"] == pytest.approx(expected_auc)
    assert m["macro_classes"]["macro_f1"] == list(CLASSES)
    assert m["macro_classes"]["macro_auroc"] == list(CLASSES[:6])
    assert m["confusion_matrix"][1][6] == 1  # the false SVTAC call is counted


def test_two_absent_classes_count_as_zero_in_the_macro_f1():
    # AFLT and SVTAC absent (the PTB-XL test fold's situation), nobody predicts them.
    rng = np.random.default_rng(2)
    y = rng.choice([0, 1, 2, 3, 5], size=40)
    pred = np.where(rng.random(40) < 0.8, y, rng.choice([0, 1, 2, 3, 5], size=40))
    m = classification_metrics(y, _proba(pred))
    ref = precision_recall_fscore_support(y, pred, labels=list(range(7)), average=None, zero_division=0)
    assert m["absent_classes"] == ["AFLT", "SVTAC"]
    for name, values in zip(("per_class_precision", "per_class_recall", "per_class_f1"), ref[:3]):
        assert [m[name][c] for c in CLASSES] == pytest.approx(values)
    assert m["macro_f1"] == pytest.approx(ref[2].mean())
    assert m["support"]["AFLT"] == 0 and m["per_class_auroc"]["AFLT"] is None


def test_class_never_predicted_has_precision_zero_and_macro_figures_divide_by_seven():
    y = np.array([0, 0, 1, 1])
    pred = np.array([0, 0, 0, 0])
    m = classification_metrics(y, _proba(pred))
    # precision: class 0 = 0.5, class 1 = 0/0 -> 0; recall: 1 and 0; five absent classes: 0 each
    assert m["macro_precision"] == pytest.approx(0.5 / 7)
    assert m["macro_recall"] == pytest.approx(1 / 7)
    assert m["per_class_f1"][CLASSES[1]] == 0.0


def test_single_class_test_set_has_no_auroc():
    m = classification_metrics(np.array([1, 1, 1]), _proba(np.array([1, 1, 0])))
    assert m["macro_auroc"] is None
    assert m["accuracy"] == pytest.approx(2 / 3)


def test_wrong_probability_shape_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        classification_metrics(np.array([0, 1]), np.zeros((3, 7)))

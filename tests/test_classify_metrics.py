"""Metrics against scikit-learn on hand-made cases; absent classes and zero division explicit."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

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
    assert np.array(m["confusion_matrix"]).sum() == 12


def test_absent_class_is_left_out_of_macro_averages_and_auroc():
    # SVTAC (6) has no test sample; one SR is wrongly predicted as SVTAC.
    y = np.array([0, 0, 1, 1, 1, 2, 2, 3, 4, 5])
    pred = np.array([0, 0, 1, 1, 6, 2, 2, 3, 4, 5])
    proba = _proba(pred)
    m = classification_metrics(y, proba)
    present = [0, 1, 2, 3, 4, 5]
    assert m["absent_classes"] == ["SVTAC"]
    assert m["per_class_f1"]["SVTAC"] is None and m["per_class_auroc"]["SVTAC"] is None
    assert m["macro_f1"] == pytest.approx(f1_score(y, pred, labels=present, average="macro", zero_division=0))
    assert m["macro_recall"] == pytest.approx(recall_score(y, pred, labels=present, average="macro", zero_division=0))
    expected_auc = np.mean([roc_auc_score(y == c, proba[:, c]) for c in present])
    assert m["macro_auroc"] == pytest.approx(expected_auc)
    assert m["confusion_matrix"][1][6] == 1  # the false SVTAC call is still counted


def test_present_class_never_predicted_has_precision_zero_explicitly():
    y = np.array([0, 0, 1, 1])
    pred = np.array([0, 0, 0, 0])
    m = classification_metrics(y, _proba(pred))
    # precision: class 0 = 0.5, class 1 = 0/0 -> 0; recall: 1 and 0
    assert m["macro_precision"] == pytest.approx(0.25)
    assert m["macro_recall"] == pytest.approx(0.5)
    assert m["per_class_f1"][CLASSES[1]] == 0.0


def test_single_class_test_set_has_no_auroc():
    m = classification_metrics(np.array([1, 1, 1]), _proba(np.array([1, 1, 0])))
    assert m["macro_auroc"] is None
    assert m["accuracy"] == pytest.approx(2 / 3)


def test_wrong_probability_shape_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        classification_metrics(np.array([0, 1]), np.zeros((3, 7)))

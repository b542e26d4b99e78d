"""Classifier two-sample test (C2ST, Lopez-Paz & Oquab 2017) and label fidelity (TRTS).

C2ST: take the same number of real and synthetic feature vectors (the smaller count) and predict
every sample's origin by 5-fold cross-validation of a nonlinear classifier (scikit-learn's
HistGradientBoostingClassifier; a linear model is blind to a variance change). Accuracy 0.5 means
the sets cannot be told apart. We report the accuracy with a 95 % Wilson interval. Accuracy clearly
*below* 0.5 is not "distinguishable": it is flagged ``below_chance`` (memorisation-like, the
synthetic samples sit on top of real ones), never folded into a symmetric score. Per class, the
test uses only that class's real and synthetic samples (the original code's per-class loop did not).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def c2st(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator, max_per_set: int = 5000, min_per_set: int = 10,
         folds: int = 5) -> dict[str, float]:
    """Real-vs-synthetic accuracy by ``folds``-fold cross-validation of a gradient-boosted tree classifier.

    Returns {accuracy, ci_low, ci_high (95 % Wilson over the pooled out-of-fold predictions),
    below_chance (1 when ci_high < 0.5: the classifier is systematically wrong, as happens when the
    synthetic samples are near-copies of the real ones), n_test}. NaN when either set has fewer than
    ``min_per_set`` samples.
    """
    n = min(len(real), len(fake), max_per_set)
    if n < max(min_per_set, folds):
        return {"accuracy": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "below_chance": float("nan"), "n_test": 0}
    r = real[rng.choice(len(real), n, replace=False)]
    f = fake[rng.choice(len(fake), n, replace=False)]
    x = np.concatenate([r, f])
    y = np.r_[np.zeros(n), np.ones(n)]
    # sklearn's default of 20 samples per leaf forbids any split below ~50 samples per set: scale it down.
    model = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=15, min_samples_leaf=int(np.clip(n // 10, 2, 20)),
                                           early_stopping=False,
                                           random_state=int(rng.integers(2**31)))
    split = StratifiedKFold(folds, shuffle=True, random_state=int(rng.integers(2**31)))
    # One OpenMP thread: on a shared machine OpenMP's every-core default turns a 1-s fit into 20 s,
    # and at <= 10k samples a single thread is fast enough.
    with threadpool_limits(1):
        predicted = cross_val_predict(model, x, y, cv=split)
    correct = int((predicted == y).sum())
    low, high = wilson_interval(correct, len(y))
    return {"accuracy": correct / len(y), "ci_low": low, "ci_high": high, "below_chance": float(high < 0.5), "n_test": len(y)}


def label_fidelity(y_intended: np.ndarray, y_predicted: np.ndarray) -> dict[str, float]:
    """TRTS: accuracy and macro-F1 (over the classes present) of a real-trained classifier on a bank's labels."""
    if len(y_intended) == 0:
        return {"accuracy": float("nan"), "macro_f1": float("nan")}
    labels = np.unique(y_intended)
    return {
        "accuracy": float(accuracy_score(y_intended, y_predicted)),
        "macro_f1": float(f1_score(y_intended, y_predicted, labels=labels, average="macro", zero_division=0)),
    }

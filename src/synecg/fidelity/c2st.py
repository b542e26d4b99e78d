"""Classifier two-sample test (C2ST, Lopez-Paz & Oquab 2017) and label fidelity (TRTS).

C2ST: take the same number of real and synthetic feature vectors (the smaller count), split each
in two halves, fit a logistic regression real-vs-synthetic on one half and measure accuracy on the
other. Accuracy 0.5 means the sets cannot be told apart. We report the accuracy with a 95 % Wilson
interval and the paper's score 1 - |acc - 0.5| / 0.5 (1 = indistinguishable). Per class, the test
uses only that class's real and synthetic samples (the original code's per-class loop did not).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def c2st(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator, max_per_set: int = 5000, min_per_set: int = 10) -> dict[str, float]:
    """Real-vs-synthetic accuracy on held-out halves: {accuracy, ci_low, ci_high, score, n_test}.

    NaN when either set has fewer than ``min_per_set`` samples.
    """
    n = min(len(real), len(fake), max_per_set)
    if n < min_per_set:
        return {"accuracy": float("nan"), "ci_low": float("nan"), "ci_high": float("nan"), "score": float("nan"), "n_test": 0}
    r = real[rng.choice(len(real), n, replace=False)]
    f = fake[rng.choice(len(fake), n, replace=False)]
    half = n // 2
    x_fit = np.concatenate([r[:half], f[:half]])
    y_fit = np.r_[np.zeros(half), np.ones(half)]
    x_test = np.concatenate([r[half:], f[half:]])
    y_test = np.r_[np.zeros(n - half), np.ones(n - half)]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000))
    model.fit(x_fit, y_fit)
    correct = int((model.predict(x_test) == y_test).sum())
    acc = correct / len(y_test)
    low, high = wilson_interval(correct, len(y_test))
    return {"accuracy": acc, "ci_low": low, "ci_high": high, "score": 1.0 - abs(acc - 0.5) / 0.5, "n_test": len(y_test)}


def label_fidelity(y_intended: np.ndarray, y_predicted: np.ndarray) -> dict[str, float]:
    """TRTS: accuracy and macro-F1 (over the classes present) of a real-trained classifier on a bank's labels."""
    if len(y_intended) == 0:
        return {"accuracy": float("nan"), "macro_f1": float("nan")}
    labels = np.unique(y_intended)
    return {
        "accuracy": float(accuracy_score(y_intended, y_predicted)),
        "macro_f1": float(f1_score(y_intended, y_predicted, labels=labels, average="macro", zero_division=0)),
    }

"""Seeded draws of training subsets: fractions of the real data, synthetic:real ratios."""

from __future__ import annotations

import numpy as np


def stratified_fraction(y: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted row indices of a class-stratified ``fraction`` of ``y``; every class present keeps >= 1 row.

    Each class keeps round(fraction x its count) rows (at least one), drawn from a seeded per-class
    permutation. Called with the same ``rng`` seed for several fractions, the subsets are nested
    (the 20 % subset lies inside the 40 % one), which makes the fraction curves smoother.
    The authors' code instead drew rows weighted by 1 - class frequency, unseeded.
    """
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    y = np.asarray(y)
    keep = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        order = members[rng.permutation(len(members))]
        keep.append(order[: max(1, int(round(fraction * len(members))))])
    return np.sort(np.concatenate(keep)) if keep else np.array([], dtype=np.int64)


def class_balanced_draw(y: np.ndarray, n_wanted: int, rng: np.random.Generator) -> np.ndarray:
    """Sorted rows of ``y`` (a synthetic split): ``n_wanted`` rows spread evenly over the classes
    present (n // k each, the remainder to randomly chosen classes), without replacement.

    Raises when a class holds fewer rows than its share (nothing silently capped: raise the bank
    size, config ``bank.per_class``, or lower the ratio).
    """
    y = np.asarray(y)
    classes = np.unique(y)
    if n_wanted < 0 or len(classes) == 0:
        raise ValueError(f"cannot draw {n_wanted} rows from {len(y)}")
    share = np.full(len(classes), n_wanted // len(classes))
    share[rng.choice(len(classes), size=n_wanted % len(classes), replace=False)] += 1
    keep = []
    for c, k in zip(classes, share):
        members = np.flatnonzero(y == c)
        if k > len(members):
            raise ValueError(f"a class-balanced draw of {n_wanted} rows needs {k} of class {c}, the split holds {len(members)}")
        keep.append(members[rng.permutation(len(members))[:k]])
    return np.sort(np.concatenate(keep))


def oversample_to_balance(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Rows of ``y`` (every row once) plus rows of the smaller classes drawn again with replacement
    until each class present has as many rows as the largest; absent classes stay absent.
    Sorted, so repeated rows sit together (the training loop shuffles)."""
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    rows = [np.arange(len(y))]
    for c, n in zip(classes, counts):
        if n < counts.max():
            rows.append(rng.choice(np.flatnonzero(y == c), size=int(counts.max() - n), replace=True))
    return np.sort(np.concatenate(rows))

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


def ratio_subset(n_available: int, n_real: int, ratio: float | None, rng: np.random.Generator) -> np.ndarray:
    """Rows of a synthetic split to add beside ``n_real`` real rows: all (``ratio`` None) or ratio x n_real.

    Raises when the bank holds fewer rows than the ratio asks for (nothing silently capped).
    """
    if ratio is None:
        return np.arange(n_available)
    wanted = int(round(ratio * n_real))
    if wanted > n_available:
        raise ValueError(f"synthetic ratio {ratio} asks for {wanted} rows but the bank split holds {n_available}")
    return np.sort(rng.choice(n_available, size=wanted, replace=False))

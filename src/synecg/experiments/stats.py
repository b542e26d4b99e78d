"""Statistics over test records and seeds: two-level bootstrap intervals, paired comparisons
(paired bootstrap and Wilcoxon signed-rank over seeds) and multiplicity adjustment.

A classifier's score varies with the seed (initialisation, real subset, batches) and with the
test records it is scored on; with a handful of AFLT or SVTAC records in a test fold the second
dominates macro-F1. Every interval here therefore resamples both (a two-level, or "cluster then
unit", bootstrap; Davison & Hinkley 1997, sec. 3.8): a replicate draws the N test records with
replacement, recomputes the metric of every seed on those records, then draws the S seeds with
replacement and averages their metrics. The interval is the percentile interval of the replicates.

A resample of records is a count vector ``w`` (how often each record was drawn), so the built-in
metrics (``metric_function``) take a whole batch of count vectors at once: confusion matrices are
one matrix product, one-vs-rest AUROCs one weighted Mann-Whitney sum per class. Any other callable
``metric(y_true, proba) -> float`` works too, one call per replicate and seed (slower).

Conventions of the built-in metrics (the same as ``synecg.classify.metrics``): all seven classes
always; precision, recall and F1 of a class with an empty denominator are 0 (scikit-learn's
``zero_division=0``); macro precision / recall / F1 average all seven classes (scikit-learn with
``labels=range(7)``); the macro AUROC averages the classes that have both positive and negative
records in the (resampled) test set, the only ones for which an AUROC exists.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.stats import wilcoxon
from statsmodels.stats.multitest import multipletests

from synecg.constants import CLASS_INDEX, CLASSES, N_CLASSES

MetricFn = Callable[[np.ndarray, np.ndarray], float]
PVALUE_METHODS: tuple[str, ...] = ("holm", "fdr_bh")
# Replicates are evaluated in batches of this many record resamples (bounds memory: batch x N weights).
_BATCH = 256


@dataclass(frozen=True)
class Interval:
    """A point estimate (mean over seeds on the full test set) and its percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    level: float
    n_seeds: int
    n_records: int


@dataclass(frozen=True)
class PairedComparison:
    """metric(a) - metric(b) on the same test records and seeds.

    ``difference``: mean over seeds of the per-seed differences on the full test set; ``low``,
    ``high``: paired two-level bootstrap percentile interval; ``p_bootstrap``: two-sided bootstrap
    p-value of "no difference"; ``wilcoxon_statistic`` / ``p_wilcoxon``: Wilcoxon signed-rank test
    of the per-seed differences (``None`` when it does not exist, reason in ``wilcoxon_note``).
    """

    difference: float
    low: float
    high: float
    p_bootstrap: float
    wilcoxon_statistic: float | None
    p_wilcoxon: float | None
    level: float
    n_seeds: int
    n_records: int
    wilcoxon_note: str = ""


# --- metrics on weighted test sets ------------------------------------------------------------

def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    np.divide(num, den, out=out, where=den > 0)
    return out


def _confusions(y_true: np.ndarray, proba: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted confusion matrices (B, 7, 7), rows true, columns predicted: y_true (N,), proba (N, 7), weights (B, N)."""
    # One weighted bincount over all replicates (no BLAS: a tiny matmul is slow on a busy machine).
    cells = N_CLASSES * N_CLASSES
    cell = y_true * N_CLASSES + proba.argmax(axis=1)
    flat = (cell[None, :] + cells * np.arange(len(weights))[:, None]).ravel()
    counts = np.bincount(flat, weights=weights.ravel(), minlength=cells * len(weights))
    return counts.reshape(-1, N_CLASSES, N_CLASSES)


def _per_class(conf: np.ndarray, kind: str) -> np.ndarray:
    """Per-class precision, recall or F1 (B, 7) from confusion matrices (B, 7, 7)."""
    tp = np.diagonal(conf, axis1=1, axis2=2)
    if kind == "precision":
        return _safe_ratio(tp, conf.sum(axis=1))
    if kind == "recall":
        return _safe_ratio(tp, conf.sum(axis=2))
    return _safe_ratio(2.0 * tp, conf.sum(axis=1) + conf.sum(axis=2))  # F1 = 2TP / (2TP + FP + FN)


def _auroc_one_class(scores: np.ndarray, positive: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One-vs-rest AUROC (B,) of ``scores`` (N,) on weighted test sets ``weights`` (B, N); NaN without
    both positives and negatives. The Mann-Whitney form P(s+ > s-) + P(s+ = s-) / 2, which equals
    scikit-learn's trapezoidal ROC area; a record drawn k times counts k times.

    Per positive record, the negative weight below its score is a prefix sum of the negatives in
    score order: (cum[lower] + cum[upper]) / 2 counts the strictly lower ones fully and ties half."""
    neg = np.flatnonzero(~positive)
    pos = np.flatnonzero(positive)
    out = np.full(len(weights), np.nan)
    if not len(neg) or not len(pos):
        return out
    neg = neg[np.argsort(scores[neg], kind="stable")]
    neg_scores = scores[neg]
    cum = np.zeros((len(weights), len(neg) + 1))
    np.cumsum(weights[:, neg], axis=1, out=cum[:, 1:])
    lower = np.searchsorted(neg_scores, scores[pos], side="left")
    upper = np.searchsorted(neg_scores, scores[pos], side="right")
    w_pos = weights[:, pos]
    num = (w_pos * (cum[:, lower] + cum[:, upper])).sum(axis=1) * 0.5
    den = w_pos.sum(axis=1) * cum[:, -1]
    np.divide(num, den, out=out, where=den > 0)
    return out


@dataclass(frozen=True)
class Metric:
    """A named metric of (y_true (N,), proba (N, 7)); ``weighted`` evaluates it on B weighted copies
    of the test set at once. ``kind``: accuracy | precision | recall | f1 | auroc; ``cls``: a class
    index for a per-class metric, ``None`` for the macro average (or accuracy)."""

    name: str
    kind: str
    cls: int | None = None

    def __call__(self, y_true: np.ndarray, proba: np.ndarray) -> float:
        y_true = np.asarray(y_true, dtype=np.int64)
        return float(self.weighted(y_true, np.asarray(proba, dtype=np.float64), np.ones((1, len(y_true))))[0])

    def weighted(self, y_true: np.ndarray, proba: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Metric values (B,) on the test set weighted by ``weights`` (B, N) (record counts)."""
        if self.kind == "auroc":
            classes = range(N_CLASSES) if self.cls is None else (self.cls,)
            aucs = np.stack([_auroc_one_class(proba[:, c], y_true == c, weights) for c in classes], axis=1)
            if self.cls is not None:
                return aucs[:, 0]
            defined = ~np.isnan(aucs)
            total = np.where(defined, aucs, 0.0).sum(axis=1)
            count = defined.sum(axis=1)
            return np.where(count > 0, total / np.maximum(count, 1), np.nan)
        conf = _confusions(y_true, proba, weights)
        if self.kind == "accuracy":
            return _safe_ratio(np.trace(conf, axis1=1, axis2=2), conf.sum(axis=(1, 2)))
        values = _per_class(conf, self.kind)
        return values.mean(axis=1) if self.cls is None else values[:, self.cls]


_MACRO = {"macro_f1": "f1", "macro_precision": "precision", "macro_recall": "recall", "macro_auroc": "auroc"}
_PER_CLASS_KINDS = ("f1", "precision", "recall", "auroc")


def metric_names() -> tuple[str, ...]:
    """Every name ``metric_function`` accepts: accuracy, the macro figures, <kind>_<CLASS>."""
    return ("accuracy", *_MACRO, *(f"{k}_{c}" for k in _PER_CLASS_KINDS for c in CLASSES))


def metric_function(name: str) -> Metric:
    """The metric called ``name``: ``accuracy``, ``macro_f1``, ``macro_precision``, ``macro_recall``,
    ``macro_auroc``, or a per-class ``f1_<CLASS>``, ``precision_<CLASS>``, ``recall_<CLASS>``,
    ``auroc_<CLASS>`` (e.g. ``f1_AFLT``); the same numbers as ``synecg.classify.metrics``."""
    if name == "accuracy":
        return Metric(name, "accuracy")
    if name in _MACRO:
        return Metric(name, _MACRO[name])
    kind, _, cls = name.partition("_")
    if kind in _PER_CLASS_KINDS and cls in CLASS_INDEX:
        return Metric(name, kind, CLASS_INDEX[cls])
    raise ValueError(f"unknown metric {name!r}; known: {', '.join(metric_names())}")


# --- the two-level bootstrap ------------------------------------------------------------------

def _check(y_true: np.ndarray, *probas: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    y_true = np.asarray(y_true, dtype=np.int64)
    if y_true.ndim != 1 or len(y_true) == 0:
        raise ValueError(f"y_true must be a non-empty 1-D array of class indices, got shape {y_true.shape}")
    if y_true.min() < 0 or y_true.max() >= N_CLASSES:
        raise ValueError(f"class indices must lie in 0..{N_CLASSES - 1}, got {y_true.min()}..{y_true.max()}")
    out = []
    for p in probas:
        p = np.asarray(p, dtype=np.float64)
        if p.ndim != 3 or p.shape[1:] != (len(y_true), N_CLASSES) or p.shape[0] == 0:
            raise ValueError(f"probabilities must have shape (seeds, {len(y_true)}, {N_CLASSES}), got {p.shape}")
        out.append(p)
    if len({p.shape for p in out}) > 1:
        raise ValueError(f"paired arms need the same seeds and records, got shapes {[p.shape for p in out]}")
    return y_true, out


def _record_weights(rng: np.random.Generator, n_records: int, n: int) -> np.ndarray:
    """(n, N) counts of N records drawn with replacement, one row per replicate."""
    idx = rng.integers(0, n_records, size=(n, n_records))
    flat = idx + n_records * np.arange(n)[:, None]
    return np.bincount(flat.ravel(), minlength=n * n_records).reshape(n, n_records).astype(np.float64)


def _per_seed_replicates(y_true: np.ndarray, probas: list[np.ndarray], metric: MetricFn, n_resamples: int,
                         rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    """Per arm, metric values (S, R) of every seed on R record resamples (shared by all arms and
    seeds), and the seed resamples (R, S) (indices, shared by all arms)."""
    n_seeds, n_records = probas[0].shape[:2]
    values = [np.empty((n_seeds, n_resamples)) for _ in probas]
    for start in range(0, n_resamples, _BATCH):
        stop = min(start + _BATCH, n_resamples)
        weights = _record_weights(rng, n_records, stop - start)
        for arm, proba in enumerate(probas):
            for s in range(n_seeds):
                if isinstance(metric, Metric):
                    values[arm][s, start:stop] = metric.weighted(y_true, proba[s], weights)
                else:
                    for r, w in enumerate(weights):
                        idx = np.repeat(np.arange(n_records), w.astype(np.int64))
                        values[arm][s, start + r] = metric(y_true[idx], proba[s][idx])
    seeds = rng.integers(0, n_seeds, size=(n_resamples, n_seeds))
    return values, seeds


def _seed_means(values: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """(R,) mean over the resampled seeds of each replicate (NaN seeds left out)."""
    picked = values[seeds, np.arange(seeds.shape[0])[:, None]]
    with warnings.catch_warnings():  # an all-NaN replicate is NaN ("mean of empty slice"), left out later
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(picked, axis=1)


def _percentile(replicates: np.ndarray, level: float) -> tuple[float, float]:
    valid = replicates[~np.isnan(replicates)]
    if not len(valid):
        return float("nan"), float("nan")
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(valid, alpha)), float(np.quantile(valid, 1.0 - alpha))


def _full(y_true: np.ndarray, proba: np.ndarray, metric: MetricFn) -> np.ndarray:
    """(S,) metric of every seed on the full test set."""
    return np.array([metric(y_true, p) for p in proba], dtype=np.float64)


def _check_args(n_resamples: int, level: float) -> None:
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be positive, got {n_resamples}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must lie in (0, 1), got {level}")


def two_level_bootstrap(y_true: np.ndarray, proba: np.ndarray, metric: MetricFn, n_resamples: int, level: float,
                        rng: np.random.Generator) -> Interval:
    """Two-level bootstrap interval of the seed-mean of ``metric``.

    y_true (N,) class indices; proba (S, N, 7) class probabilities of S seeds on the same N test
    records. Estimate: mean over seeds of the metric on the full test set (NaN seeds left out).
    """
    _check_args(n_resamples, level)
    y_true, (proba,) = _check(y_true, proba)
    (values,), seeds = _per_seed_replicates(y_true, [proba], metric, n_resamples, rng)
    low, high = _percentile(_seed_means(values, seeds), level)
    full = _full(y_true, proba, metric)
    estimate = float(np.nanmean(full)) if np.any(~np.isnan(full)) else float("nan")
    return Interval(estimate, low, high, level, proba.shape[0], len(y_true))


def bootstrap_pvalue(replicates: np.ndarray) -> float:
    """Two-sided bootstrap p-value of "the difference is 0": twice the smaller tail share of the
    replicates on either side of 0, with the (1 + count) / (1 + R) correction, at most 1; the
    p-value below which 0 leaves the percentile interval. NaN without valid replicates."""
    valid = replicates[~np.isnan(replicates)]
    if not len(valid):
        return float("nan")
    tail = min((valid <= 0).sum(), (valid >= 0).sum())
    return float(min(1.0, 2.0 * (1 + tail) / (1 + len(valid))))


def wilcoxon_seeds(differences: np.ndarray) -> tuple[float | None, float | None, str]:
    """Wilcoxon signed-rank test (two-sided, scipy.stats.wilcoxon defaults) of per-seed differences.

    Returns (statistic, p, note); (None, None, reason) with fewer than two seeds, with every
    difference 0 (the test has no non-zero ranks), or with an undefined difference."""
    d = np.asarray(differences, dtype=np.float64)
    if np.isnan(d).any():
        return None, None, "a seed's metric is undefined"
    if len(d) < 2:
        return None, None, f"needs at least 2 seeds, has {len(d)}"
    if not np.any(d != 0):
        return None, None, "every seed's difference is 0"
    res = wilcoxon(d)
    note = "" if len(d) >= 6 else f"{len(d)} seeds: the smallest two-sided p possible is {2 / 2 ** len(d):.3g}"
    return float(res.statistic), float(res.pvalue), note


def paired_comparison(y_true: np.ndarray, proba_a: np.ndarray, proba_b: np.ndarray, metric: MetricFn,
                      n_resamples: int, level: float, rng: np.random.Generator) -> PairedComparison:
    """metric(a) - metric(b), paired: seed s of arm a is compared with seed s of arm b (the same
    real subset and seed), on the same test records, and every bootstrap replicate draws the same
    records and seeds for both arms. proba_a, proba_b (S, N, 7); y_true (N,)."""
    _check_args(n_resamples, level)
    y_true, (proba_a, proba_b) = _check(y_true, proba_a, proba_b)
    (va, vb), seeds = _per_seed_replicates(y_true, [proba_a, proba_b], metric, n_resamples, rng)
    replicates = _seed_means(va - vb, seeds)
    low, high = _percentile(replicates, level)
    d = _full(y_true, proba_a, metric) - _full(y_true, proba_b, metric)
    difference = float(np.nanmean(d)) if np.any(~np.isnan(d)) else float("nan")
    stat, p_w, note = wilcoxon_seeds(d)
    return PairedComparison(difference, low, high, bootstrap_pvalue(replicates), stat, p_w, level,
                            proba_a.shape[0], len(y_true), note)


# --- multiplicity -----------------------------------------------------------------------------

def adjust_pvalues(p: np.ndarray, method: str = "holm") -> np.ndarray:
    """Family-wise (Holm) or false-discovery-rate (Benjamini-Hochberg, ``fdr_bh``) adjusted p-values
    (statsmodels' multipletests). NaN entries (a comparison without a p-value) stay NaN and are not
    counted in the family."""
    if method not in PVALUE_METHODS:
        raise ValueError(f"unknown p-value adjustment {method!r}; known: {', '.join(PVALUE_METHODS)}")
    p = np.asarray(p, dtype=np.float64)
    out = np.full(p.shape, np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        out[valid] = multipletests(p[valid], method=method)[1]
    return out

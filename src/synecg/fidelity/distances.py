"""Distances between two sets of feature vectors: FID, KID, RBF-MMD, precision/recall/density/coverage.

Every function takes ``real`` (N, F) and ``fake`` (M, F) arrays and never builds an N x M matrix
in memory at once: pairwise distances are computed in row chunks of ``chunk`` rows.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch
from scipy.stats import wasserstein_distance

CHUNK = 2048


def _tensor(x: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def squared_distance_chunks(a: np.ndarray, b: np.ndarray, chunk: int = CHUNK) -> Iterator[tuple[slice, torch.Tensor]]:
    """Yield (rows, D) with D = squared Euclidean distances of ``a[rows]`` to every row of ``b``.

    Float64 via |a|^2 + |b|^2 - 2 a.b, clamped at 0; memory is chunk x len(b).
    """
    ta, tb = _tensor(a), _tensor(b)
    nb = (tb * tb).sum(1)
    for start in range(0, len(ta), chunk):
        rows = slice(start, min(start + chunk, len(ta)))
        block = ta[rows]
        d = (block * block).sum(1)[:, None] + nb[None, :] - 2.0 * block @ tb.T
        yield rows, d.clamp_min_(0.0)


def knn_distances(query: np.ndarray, ref: np.ndarray, k: int, exclude_self: bool = False, chunk: int = CHUNK) -> np.ndarray:
    """Euclidean distances (len(query), k) from each query row to its k nearest rows of ``ref``, ascending.

    ``exclude_self`` when query is ref: a point is not its own neighbour.
    """
    out = np.empty((len(query), k))
    for rows, d in squared_distance_chunks(query, ref, chunk):
        if exclude_self:
            idx = torch.arange(rows.start, rows.stop)
            d[idx - rows.start, idx] = float("inf")
        out[rows] = d.topk(k, dim=1, largest=False).values.sqrt().numpy()
    return out


def frechet_distance(real: np.ndarray, fake: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the two sets (FID, Heusel et al. 2017, eq. 6).

    tr sqrt(S1 S2) = tr sqrt(A S2 A) with A = S1^(1/2): the sum of the square roots of the
    eigenvalues of a symmetric PSD matrix, so two symmetric eigendecompositions replace the matrix
    square root of a non-symmetric product (faster and stable for near-singular covariances).
    """
    mu1, mu2 = real.mean(0), fake.mean(0)
    s1 = np.atleast_2d(np.cov(real, rowvar=False))
    s2 = np.atleast_2d(np.cov(fake, rowvar=False))
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
    eig = np.linalg.eigvalsh(root1 @ s2 @ root1)
    tr_covmean = float(np.sqrt(np.clip(eig, 0.0, None)).sum())
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean, 0.0))


def kernel_inception_distance(
    real: np.ndarray, fake: np.ndarray, rng: np.random.Generator, n_subsets: int = 50, subset_size: int = 1000
) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): unbiased MMD^2 with the cubic polynomial kernel (x.y / F + 1)^3.

    Averaged over ``n_subsets`` random subsets of min(subset_size, N, M) from each set; returns
    (mean, standard error of the mean over subsets).
    """
    m = min(subset_size, len(real), len(fake))
    if m < 2:
        return float("nan"), float("nan")
    dim = real.shape[1]
    values = np.empty(n_subsets)
    for i in range(n_subsets):
        x = real[rng.choice(len(real), m, replace=False)].astype(np.float64)
        y = fake[rng.choice(len(fake), m, replace=False)].astype(np.float64)
        kxx = (x @ x.T / dim + 1) ** 3
        kyy = (y @ y.T / dim + 1) ** 3
        kxy = (x @ y.T / dim + 1) ** 3
        values[i] = (
            (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
            + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
            - 2.0 * kxy.mean()
        )
    se = values.std(ddof=1) / np.sqrt(n_subsets) if n_subsets > 1 else float("nan")
    return float(values.mean()), float(se)


def median_bandwidth(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator, max_points: int = 1000) -> float:
    """Median heuristic: the median Euclidean distance between distinct points of the pooled sample."""
    pooled = np.concatenate([real, fake])
    if len(pooled) > max_points:
        pooled = pooled[rng.choice(len(pooled), max_points, replace=False)]
    d = next(squared_distance_chunks(pooled, pooled, chunk=len(pooled)))[1].sqrt().numpy()
    upper = d[np.triu_indices(len(pooled), k=1)]
    med = float(np.median(upper))
    return med if med > 0 else 1.0


def _kernel_sum(a: np.ndarray, b: np.ndarray, gamma: float, chunk: int) -> float:
    return float(sum(torch.exp(-gamma * d).sum().item() for _, d in squared_distance_chunks(a, b, chunk)))


def mmd_rbf(real: np.ndarray, fake: np.ndarray, bandwidth: float, chunk: int = CHUNK) -> float:
    """Unbiased MMD^2 (Gretton et al. 2012, eq. 3) with k(x, y) = exp(-|x-y|^2 / (2 bandwidth^2))."""
    n, m = len(real), len(fake)
    if n < 2 or m < 2:
        return float("nan")
    gamma = 1.0 / (2.0 * bandwidth**2)
    # The diagonal terms are exp(0) = 1: drop them from the within-set sums.
    kxx = (_kernel_sum(real, real, gamma, chunk) - n) / (n * (n - 1))
    kyy = (_kernel_sum(fake, fake, gamma, chunk) - m) / (m * (m - 1))
    kxy = _kernel_sum(real, fake, gamma, chunk) / (n * m)
    return float(kxx + kyy - 2.0 * kxy)


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5, chunk: int = CHUNK) -> dict[str, float]:
    """Precision, recall, density and coverage (Naeem et al. 2020) with k-NN balls, chunked.

    Strict inequalities, as the authors' ``prdc`` package. A real point's ball has the radius of its k-th nearest real neighbour (itself excluded); the
    same for fake points. precision: share of fakes inside some real ball; recall: share of reals
    inside some fake ball; density: mean number of real balls holding a fake, over k; coverage:
    share of real balls that hold at least one fake.
    """
    if len(real) <= k or len(fake) <= k:
        return {name: float("nan") for name in ("precision", "recall", "density", "coverage")}
    real_radius = torch.as_tensor(knn_distances(real, real, k, exclude_self=True, chunk=chunk)[:, -1])
    fake_radius = torch.as_tensor(knn_distances(fake, fake, k, exclude_self=True, chunk=chunk)[:, -1])
    inside_real_ball = np.zeros(len(fake), dtype=bool)
    balls_per_fake = np.zeros(len(fake))
    real_in_fake_ball = torch.zeros(len(real), dtype=torch.bool)
    nearest_fake = torch.full((len(real),), float("inf"), dtype=torch.float64)
    for rows, d2 in squared_distance_chunks(fake, real, chunk):
        d = d2.sqrt()  # (chunk fakes, all reals)
        within = d < real_radius[None, :]
        inside_real_ball[rows] = within.any(1).numpy()
        balls_per_fake[rows] = within.sum(1).numpy()
        real_in_fake_ball |= (d < fake_radius[rows][:, None]).any(0)
        nearest_fake = torch.minimum(nearest_fake, d.min(0).values)
    return {
        "precision": float(inside_real_ball.mean()),
        "recall": float(real_in_fake_ball.double().mean()),
        "density": float(balls_per_fake.mean() / k),
        "coverage": float((nearest_fake < real_radius).double().mean()),
    }


def sliced_wasserstein(real: np.ndarray, fake: np.ndarray, rng: np.random.Generator, n_projections: int = 128, max_samples: int = 2000) -> float:
    """Mean Wasserstein-1 between 1-D projections of two feature sets onto random unit directions.

    Use it on standardised features: in raw 12,000-d signal space random directions see only signal
    energy and cannot tell noise from ECGs.
    """
    r = real[np.sort(rng.choice(len(real), min(max_samples, len(real)), replace=False))].astype(np.float64)
    f = fake[np.sort(rng.choice(len(fake), min(max_samples, len(fake)), replace=False))].astype(np.float64)
    if len(r) == 0 or len(f) == 0:
        return float("nan")
    directions = rng.standard_normal((r.shape[1], n_projections))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    pr, pf = r @ directions, f @ directions
    return float(np.mean([wasserstein_distance(pr[:, i], pf[:, i]) for i in range(n_projections)]))

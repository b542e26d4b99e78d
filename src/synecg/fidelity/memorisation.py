"""Memorisation: is a synthetic ECG closer to a training ECG than new real ECGs are?

Distances are Euclidean on raw signals (mV) after averaging over ``downsample`` consecutive samples
(a near-copy keeps its waveform, so the raw space is where copying shows; averaging only removes
sample-level noise and cuts the cost). For each synthetic record: DCR = distance to its nearest
real training record, NNDR = nearest / second-nearest distance. The same for the real held-out
(validation) records gives the floor: a generator that does not copy has DCRs like those.

A near-copy is a synthetic record whose DCR is below the ``quantile`` (default 1 %) of the real
held-out DCRs, i.e. closer to a training record than 99 % of new real records are. Without
memorisation about ``quantile`` of the bank falls under it by chance; ``near_copy_excess`` is the
observed fraction over that expectation.
"""

from __future__ import annotations

import numpy as np

from synecg.fidelity.distances import knn_distances


def downsample(x: np.ndarray, factor: int, batch: int = 2048) -> np.ndarray:
    """(N, 12, L) -> (N, 12 * (L // factor)) float32 by averaging ``factor`` consecutive samples."""
    n, leads, length = x.shape
    keep = (length // factor) * factor
    out = np.empty((n, leads * (length // factor)), dtype=np.float32)
    for start in range(0, n, batch):
        xb = np.asarray(x[start : start + batch, :, :keep], dtype=np.float32)
        out[start : start + len(xb)] = xb.reshape(len(xb), leads, -1, factor).mean(-1).reshape(len(xb), -1)
    return out


def nearest_train(query: np.ndarray, train: np.ndarray, chunk: int = 1024) -> tuple[np.ndarray, np.ndarray]:
    """(DCR, NNDR) of each query row against the training rows, without an N x M matrix."""
    d = knn_distances(query, train, k=2, chunk=chunk)
    nndr = np.divide(d[:, 0], d[:, 1], out=np.zeros(len(d)), where=d[:, 1] > 0)
    return d[:, 0], nndr


def memorisation_summary(dcr_fake: np.ndarray, nndr_fake: np.ndarray, dcr_real: np.ndarray, nndr_real: np.ndarray, quantile: float) -> dict[str, float]:
    """Medians of DCR/NNDR for synthetic and real held-out records, and the near-copy count."""
    if len(dcr_fake) == 0 or len(dcr_real) == 0:
        return {}
    threshold = float(np.quantile(dcr_real, quantile))
    copies = int((dcr_fake < threshold).sum())
    median_real = float(np.median(dcr_real))
    return {
        "dcr_median": float(np.median(dcr_fake)),
        "dcr_median_real_heldout": median_real,
        "dcr_ratio": float(np.median(dcr_fake)) / median_real if median_real > 0 else float("nan"),
        "nndr_median": float(np.median(nndr_fake)),
        "nndr_median_real_heldout": float(np.median(nndr_real)),
        "near_copy_threshold": threshold,
        "near_copies": copies,
        "near_copy_fraction": copies / len(dcr_fake),
        "near_copy_excess": copies / len(dcr_fake) - quantile,
    }

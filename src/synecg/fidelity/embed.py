"""Per-set intermediates of the fidelity stage, computed once and cached as .npz files.

For a set of signals (the real training or validation split, or one bank) we store:
``classifier`` (N, F) frozen-classifier features, ``randconv`` (N, G) random-convolution features,
``predicted`` (N,) the frozen classifier's class (label fidelity), ``label`` (N,), and the
physiology measures of a per-class subsample under ``physio_<measure>``, ``physio_label``,
``physio_row``, ``physio_failed``. Every metric and figure reads these instead of recomputing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from synecg.fidelity import physiology
from synecg.fidelity.features import RandomConvConfig, RandomConvFeatures, classifier_features
from synecg.io import atomic_path
from synecg.seeding import derive_seed, numpy_rng

SPACES: tuple[str, ...] = ("classifier", "randconv")


def random_conv(section: dict, seed: int, x_train: np.ndarray, dataset: str) -> RandomConvFeatures:
    """The dataset's random-convolution extractor: kernels from the seed, biases from its real training split."""
    cfg = RandomConvConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in section.items()})
    rc = RandomConvFeatures(cfg, derive_seed(seed, "fidelity", "randconv"))
    return rc.fit(x_train, numpy_rng(seed, "fidelity", "randconv", "fit", dataset))


def random_conv_from_state(section: dict, state: dict[str, np.ndarray]) -> RandomConvFeatures:
    cfg = RandomConvConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in section.items()})
    rc = RandomConvFeatures(cfg, 0)
    rc.weight = torch.as_tensor(state["randconv_weight"])
    rc.biases = torch.as_tensor(state["randconv_biases"])
    return rc


def embed_set(x, y, model, normaliser, randconv: RandomConvFeatures, fs: float, device, rng: np.random.Generator, physio_per_class: int) -> dict[str, np.ndarray]:
    """All cached per-set arrays (see module docstring) of signals x (N, 12, L) mV with labels y."""
    feats = classifier_features(model, normaliser, x, device)
    with torch.no_grad():  # the last Linear of ResidualCNN maps its penultimate features to logits
        predicted = model.out(torch.as_tensor(feats).to(device)).argmax(1).cpu().numpy()
    phys = physiology.measure_set(x, y, fs, rng, physio_per_class)
    return {
        "classifier": feats,
        "randconv": randconv.transform(x),
        "predicted": predicted.astype(np.int64),
        "label": np.asarray(y, dtype=np.int64),
        **{f"physio_{k}": v for k, v in phys.items()},
    }


def noise_ceiling(x_train: np.ndarray, n: int, rng: np.random.Generator, batch: int = 1024) -> np.ndarray:
    """(n, 12, L) float32 Gaussian noise with each lead's mean and std over the real training records.

    The noise ceiling of every metric: what a "generator" that learnt only per-lead amplitude scores.
    """
    s1 = np.zeros(x_train.shape[1])
    s2 = np.zeros(x_train.shape[1])
    for start in range(0, len(x_train), batch):
        xb = np.asarray(x_train[start : start + batch], dtype=np.float64)
        s1 += xb.sum((0, 2))
        s2 += (xb * xb).sum((0, 2))
    count = len(x_train) * x_train.shape[2]
    mean = s1 / count
    std = np.sqrt(np.maximum(s2 / count - mean**2, 0.0))
    z = rng.standard_normal((n, *x_train.shape[1:]), dtype=np.float32)
    return (z * std[None, :, None] + mean[None, :, None]).astype(np.float32)


def save_npz(path: str | Path, arrays: dict[str, np.ndarray]) -> None:
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def subset(arrays: dict[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
    """The entries under ``prefix`` (e.g. ``train_`` of the real cache), prefix removed."""
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def physiology_of(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = subset(arrays, "physio_")
    out["failed"] = out["failed"].astype(bool)
    return out


def concat_sets(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The cache of a union of banks (generator ``all``): arrays concatenated, physiology rows re-offset."""
    out: dict[str, list[np.ndarray]] = {}
    offset = 0
    for p in parts:
        for k, v in p.items():
            out.setdefault(k, []).append(v + offset if k == "physio_row" else v)
        offset += len(p["label"])
    return {k: np.concatenate(v) for k, v in out.items()}

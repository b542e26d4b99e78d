"""Score one synthetic bank (or the real validation split) against the real training split.

``score_set`` combines every metric of the package into one JSON-ready dict:

    {"overall": {metric: value}, "per_class": {class: {metric: value}}, "n": {...}}

Metric names are ``<space>_<metric>`` for feature-space metrics (space = classifier or randconv),
``c2st_*``, ``trts_*``, ``psd_db_<lead>`` / ``psd_db_mean``, ``sliced_wasserstein``,
``lead_corr_diff``, ``einthoven_*`` / ``goldberger_*``, physiology ``<measure>_w1``, and
memorisation ``dcr_*``, ``nndr_*``, ``near_copy_*``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synecg.constants import CLASSES, LEADS
from synecg.fidelity import c2st as c2st_mod
from synecg.fidelity import distances, memorisation, physiology, signal
from synecg.seeding import numpy_rng


@dataclass
class FidelityConfig:
    """Every knob of the metrics (config section ``fidelity``; defaults = the schema's)."""

    nearest_k: int = 5
    kid_subsets: int = 50
    kid_subset_size: int = 1000
    mmd_max_samples: int = 5000
    c2st_max_per_set: int = 5000
    min_class_samples: int = 10
    sw_projections: int = 128
    sw_max_samples: int = 2000
    physiology_max_per_class: int = 50
    memorisation_downsample: int = 4
    near_copy_quantile: float = 0.01
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> "FidelityConfig":
        known = {k: v for k, v in section.items() if k in cls.__dataclass_fields__ and k != "extra"}
        return cls(**known, extra={k: v for k, v in section.items() if k not in cls.__dataclass_fields__})


def feature_metrics(real: np.ndarray, fake: np.ndarray, cfg: FidelityConfig, seed: int, *names: object) -> dict[str, float]:
    """FID, KID ± SE, RBF-MMD (median-heuristic bandwidth), PRDC and C2ST of two feature sets."""
    if len(real) < cfg.min_class_samples or len(fake) < cfg.min_class_samples:
        return {}
    out: dict[str, float] = {"fid": distances.frechet_distance(real, fake)}
    out["kid"], out["kid_se"] = distances.kernel_inception_distance(
        real, fake, numpy_rng(seed, "kid", *names), cfg.kid_subsets, cfg.kid_subset_size
    )
    rng = numpy_rng(seed, "mmd", *names)
    r = real[np.sort(rng.choice(len(real), min(len(real), cfg.mmd_max_samples), replace=False))]
    f = fake[np.sort(rng.choice(len(fake), min(len(fake), cfg.mmd_max_samples), replace=False))]
    out["mmd_bandwidth"] = distances.median_bandwidth(r, f, rng)
    out["mmd"] = distances.mmd_rbf(r, f, out["mmd_bandwidth"])
    out.update(distances.prdc(real, fake, k=cfg.nearest_k))
    c2 = c2st_mod.c2st(real, fake, numpy_rng(seed, "c2st", *names), cfg.c2st_max_per_set, cfg.min_class_samples)
    out.update({f"c2st_{k}": v for k, v in c2.items()})
    return out


def signal_metrics(real_x: np.ndarray, fake_x: np.ndarray, fs: float, cfg: FidelityConfig, seed: int, *names: object) -> dict[str, float]:
    """PSD distance per lead, sliced Wasserstein, inter-lead correlation difference, limb residuals."""
    if len(real_x) == 0 or len(fake_x) == 0:
        return {}
    freqs, real_db = signal.mean_log_psd(real_x, fs)
    _, fake_db = signal.mean_log_psd(fake_x, fs)
    psd = signal.psd_distance(real_db, fake_db, freqs)
    out = {f"psd_db_{lead}": float(v) for lead, v in zip(LEADS, psd)}
    out["psd_db_mean"] = float(psd.mean())
    out["sliced_wasserstein"] = signal.sliced_wasserstein(
        real_x, fake_x, numpy_rng(seed, "sw", *names), cfg.sw_projections, cfg.sw_max_samples
    )
    out["lead_corr_diff"] = signal.correlation_difference(signal.mean_lead_correlation(real_x), signal.mean_lead_correlation(fake_x))
    out.update(signal.limb_residuals(fake_x))
    return out


def _rows(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.asarray(x[np.flatnonzero(mask)])


def score_set(
    *,
    real_x: np.ndarray,
    real_y: np.ndarray,
    heldout_x: np.ndarray,
    fake_x: np.ndarray,
    fake_y: np.ndarray,
    real_features: dict[str, np.ndarray],
    fake_features: dict[str, np.ndarray],
    fake_predicted: np.ndarray | None,
    real_physiology: dict[str, np.ndarray],
    fake_physiology: dict[str, np.ndarray],
    fs: float,
    cfg: FidelityConfig,
    seed: int,
    name: str,
    logger=None,
) -> dict[str, Any]:
    """All metrics of one synthetic (or held-out real) set against the real training set.

    ``real_features`` / ``fake_features`` map a space name to (N, F) / (M, F) arrays aligned with
    real_x / fake_x; ``fake_predicted`` holds the real-trained classifier's class for each fake row
    (TRTS), or None to skip it; the physiology dicts come from ``physiology.measure_set``.
    """
    log = logger.info if logger else (lambda *a: None)
    overall: dict[str, float] = {}
    per_class: dict[str, dict[str, float]] = {c: {} for c in CLASSES}
    for space in real_features:
        log(f"{name}: feature metrics in space {space}")
        res = feature_metrics(real_features[space], fake_features[space], cfg, seed, name, space)
        overall.update({f"{space}_{k}": v for k, v in res.items()})
        for ci, c in enumerate(CLASSES):
            res = feature_metrics(real_features[space][real_y == ci], fake_features[space][fake_y == ci], cfg, seed, name, space, c)
            per_class[c].update({f"{space}_{k}": v for k, v in res.items()})
    if fake_predicted is not None:
        overall.update({f"trts_{k}": v for k, v in c2st_mod.label_fidelity(fake_y, fake_predicted).items()})
        for ci, c in enumerate(CLASSES):
            m = fake_y == ci
            if m.any():
                per_class[c]["trts_accuracy"] = float((fake_predicted[m] == ci).mean())
    log(f"{name}: signal metrics")
    overall.update(signal_metrics(real_x, fake_x, fs, cfg, seed, name))
    for ci, c in enumerate(CLASSES):
        if (real_y == ci).sum() >= cfg.min_class_samples and (fake_y == ci).sum() >= cfg.min_class_samples:
            per_class[c].update(signal_metrics(_rows(real_x, real_y == ci), _rows(fake_x, fake_y == ci), fs, cfg, seed, name, c))
    log(f"{name}: physiology")
    overall.update(physiology.compare_measures(real_physiology, fake_physiology))
    for ci, c in enumerate(CLASSES):
        mr, mf = real_physiology["label"] == ci, fake_physiology["label"] == ci
        if mr.any() and mf.any():
            per_class[c].update(physiology.compare_measures(real_physiology, fake_physiology, mr, mf))
    log(f"{name}: memorisation")
    factor = cfg.memorisation_downsample
    train_ds = memorisation.downsample(real_x, factor)
    dcr_real, nndr_real = memorisation.nearest_train(memorisation.downsample(heldout_x, factor), train_ds)
    dcr_fake, nndr_fake = memorisation.nearest_train(memorisation.downsample(fake_x, factor), train_ds)
    overall.update(memorisation.memorisation_summary(dcr_fake, nndr_fake, dcr_real, nndr_real, cfg.near_copy_quantile))
    threshold = overall.get("near_copy_threshold", float("nan"))
    for ci, c in enumerate(CLASSES):
        m = fake_y == ci
        if m.any():
            per_class[c]["dcr_median"] = float(np.median(dcr_fake[m]))
            per_class[c]["near_copies"] = int((dcr_fake[m] < threshold).sum())
    return {
        "overall": overall,
        "per_class": {c: v for c, v in per_class.items() if v},
        "n": {"real_train": int(len(real_y)), "synthetic": int(len(fake_y)),
              "synthetic_per_class": {c: int((fake_y == i).sum()) for i, c in enumerate(CLASSES)}},
    }

"""Score one synthetic bank (or a real or noise reference set) against the real training split.

``score_set`` combines every metric of the package into one JSON-ready dict:

    {"overall": {metric: value}, "per_class": {class: {metric: value}}, "n": {...}}

Metric names are ``<space>_<metric>`` for feature-space metrics (space = classifier or randconv,
including ``<space>_c2st_*`` and ``<space>_sw``), ``trts_*``, ``psd_db_<lead>`` / ``psd_db_mean``,
``lead_corr_diff``, ``einthoven_*`` / ``goldberger_*``, physiology ``<measure>_w1``, memorisation
``dcr_*``, ``near_copy_*``, ``degenerate*`` and membership inference ``mia_*``.

Quantities that define a metric are fixed per dataset and feature space, the same for every bank:
the MMD bandwidth (median distance between real training and real validation features), the
feature standardisation of the sliced Wasserstein (real training mean and std) and the PRDC sanity
check (C2ST of real training vs the noise ceiling must reach ``prdc_sanity_c2st``).
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
    c2st_folds: int = 5
    prdc_sanity_c2st: float = 0.95
    min_class_samples: int = 10
    sw_projections: int = 128
    sw_max_samples: int = 2000
    physiology_max_per_class: int = 50
    floor_bootstrap: int = 20
    memorisation: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_config(cls, section: dict[str, Any]) -> "FidelityConfig":
        known = {k: v for k, v in section.items() if k in cls.__dataclass_fields__ and k != "extra"}
        return cls(**known, extra={k: v for k, v in section.items() if k not in cls.__dataclass_fields__})

    @property
    def memo(self) -> memorisation.MemorisationConfig:
        return memorisation.MemorisationConfig(**self.memorisation)


@dataclass
class SpaceReference:
    """What fixes a feature space's metrics for one dataset: the same for every bank scored in it."""

    bandwidth: float  # RBF-MMD bandwidth: median distance, real train vs real validation
    mean: np.ndarray  # real-train feature mean and std (sliced Wasserstein standardisation)
    std: np.ndarray
    sanity_c2st: float  # C2ST accuracy real train vs noise ceiling
    prdc_withheld: str  # "" when the space passes the sanity check, else the reason


def space_reference(real: np.ndarray, heldout: np.ndarray, noise: np.ndarray, cfg: FidelityConfig, seed: int,
                    dataset: str, space: str) -> SpaceReference:
    """Bandwidth, standardisation and PRDC sanity check of one (dataset, feature space)."""
    rng = numpy_rng(seed, "fidelity", "reference", dataset, space)
    bandwidth = distances.median_bandwidth(real, heldout, rng)
    sd = real.std(0)
    sanity = c2st_mod.c2st(real, noise, rng, cfg.c2st_max_per_set, cfg.min_class_samples, cfg.c2st_folds)["accuracy"]
    reason = "" if sanity >= cfg.prdc_sanity_c2st else (
        f"withheld: C2ST real vs noise ceiling {sanity:.2f} < {cfg.prdc_sanity_c2st} in this space")
    return SpaceReference(bandwidth, real.mean(0), np.where(sd > 0, sd, 1.0), float(sanity), reason)


def feature_metrics(real: np.ndarray, fake: np.ndarray, ref: SpaceReference, cfg: FidelityConfig, seed: int,
                    *names: object) -> dict[str, Any]:
    """FID, KID ± SE, RBF-MMD (the dataset's bandwidth), sliced Wasserstein, PRDC (when the space
    passed its sanity check) and C2ST of two feature sets."""
    if len(real) < cfg.min_class_samples or len(fake) < cfg.min_class_samples:
        return {}
    out: dict[str, Any] = {"fid": distances.frechet_distance(real, fake)}
    out["kid"], out["kid_se"] = distances.kernel_inception_distance(
        real, fake, numpy_rng(seed, "kid", *names), cfg.kid_subsets, cfg.kid_subset_size
    )
    rng = numpy_rng(seed, "mmd", *names)
    r = real[np.sort(rng.choice(len(real), min(len(real), cfg.mmd_max_samples), replace=False))]
    f = fake[np.sort(rng.choice(len(fake), min(len(fake), cfg.mmd_max_samples), replace=False))]
    out["mmd_bandwidth"] = ref.bandwidth
    out["mmd"] = distances.mmd_rbf(r, f, ref.bandwidth)
    out["sw"] = distances.sliced_wasserstein((real - ref.mean) / ref.std, (fake - ref.mean) / ref.std,
                                             numpy_rng(seed, "sw", *names), cfg.sw_projections, cfg.sw_max_samples)
    if ref.prdc_withheld:
        out["prdc_withheld"] = ref.prdc_withheld
    else:
        out.update(distances.prdc(real, fake, k=cfg.nearest_k))
    c2 = c2st_mod.c2st(real, fake, numpy_rng(seed, "c2st", *names), cfg.c2st_max_per_set, cfg.min_class_samples, cfg.c2st_folds)
    out.update({f"c2st_{k}": v for k, v in c2.items()})
    return out


def signal_metrics(real_x: np.ndarray, fake_x: np.ndarray, fs: float) -> dict[str, float]:
    """PSD distance per lead, inter-lead correlation difference, limb residuals."""
    if len(real_x) == 0 or len(fake_x) == 0:
        return {}
    freqs, real_db = signal.mean_log_psd(real_x, fs)
    _, fake_db = signal.mean_log_psd(fake_x, fs)
    psd = signal.psd_distance(real_db, fake_db, freqs)
    out = {f"psd_db_{lead}": float(v) for lead, v in zip(LEADS, psd)}
    out["psd_db_mean"] = float(psd.mean())
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
    heldout_y: np.ndarray,
    fake_x: np.ndarray,
    fake_y: np.ndarray,
    real_features: dict[str, np.ndarray],
    references: dict[str, SpaceReference],
    fake_features: dict[str, np.ndarray],
    fake_predicted: np.ndarray | None,
    real_physiology: dict[str, np.ndarray],
    fake_physiology: dict[str, np.ndarray],
    fs: float,
    cfg: FidelityConfig,
    seed: int,
    name: str,
    train_index: memorisation.RecordIndex | None = None,
    logger=None,
) -> dict[str, Any]:
    """All metrics of one synthetic (or reference) set against the real training set.

    ``real_features`` / ``fake_features`` map a space name to (N, F) / (M, F) arrays aligned with
    real_x / fake_x; ``references`` (from ``space_reference``) fixes each space's metrics for the
    dataset. ``heldout_x``/``heldout_y`` are real records no generator saw (validation split),
    disjoint from fake_x: the memorisation reference and the attack's non-members.
    ``fake_predicted`` holds the real-trained classifier's class for each fake row (TRTS), or None.
    ``train_index`` (a ``memorisation.RecordIndex`` of real_x) may be passed to share it between sets.
    """
    log = logger.info if logger else (lambda *a: None)
    overall: dict[str, Any] = {}
    per_class: dict[str, dict[str, Any]] = {c: {} for c in CLASSES}
    for space in real_features:
        log(f"{name}: feature metrics in space {space}")
        ref = references[space]
        overall[f"{space}_sanity_c2st"] = ref.sanity_c2st
        res = feature_metrics(real_features[space], fake_features[space], ref, cfg, seed, name, space)
        overall.update({f"{space}_{k}": v for k, v in res.items()})
        for ci, c in enumerate(CLASSES):
            res = feature_metrics(real_features[space][real_y == ci], fake_features[space][fake_y == ci], ref, cfg, seed, name, space, c)
            per_class[c].update({f"{space}_{k}": v for k, v in res.items()})
    if fake_predicted is not None:
        overall.update({f"trts_{k}": v for k, v in c2st_mod.label_fidelity(fake_y, fake_predicted).items()})
        for ci, c in enumerate(CLASSES):
            m = fake_y == ci
            if m.any():
                per_class[c]["trts_accuracy"] = float((fake_predicted[m] == ci).mean())
    log(f"{name}: signal metrics")
    overall.update(signal_metrics(real_x, fake_x, fs))
    for ci, c in enumerate(CLASSES):
        if (real_y == ci).sum() >= cfg.min_class_samples and (fake_y == ci).sum() >= cfg.min_class_samples:
            per_class[c].update(signal_metrics(_rows(real_x, real_y == ci), _rows(fake_x, fake_y == ci), fs))
    log(f"{name}: physiology")
    overall.update(physiology.compare_measures(real_physiology, fake_physiology))
    for ci, c in enumerate(CLASSES):
        mr, mf = real_physiology["label"] == ci, fake_physiology["label"] == ci
        if mr.any() and mf.any():
            per_class[c].update(physiology.compare_measures(real_physiology, fake_physiology, mr, mf))
    log(f"{name}: memorisation and membership inference")
    index = train_index or memorisation.RecordIndex(real_x, fs, cfg.memo)
    mem, mem_class = memorisation.memorisation_summary(
        index, fake_x, fake_y, heldout_x, real_y, CLASSES, numpy_rng(seed, "memorisation", name), cfg.min_class_samples)
    mia, mia_class = memorisation.membership_audit(
        memorisation.RecordIndex(fake_x, fs, cfg.memo), real_x, real_y, heldout_x, heldout_y, CLASSES,
        numpy_rng(seed, "mia", name), cfg.min_class_samples)
    overall.update({**mem, **mia})
    for c in CLASSES:
        per_class[c].update({**mem_class.get(c, {}), **mia_class.get(c, {})})
    return {
        "overall": overall,
        "per_class": {c: v for c, v in per_class.items() if v},
        "n": {"real_train": int(len(real_y)), "synthetic": int(len(fake_y)),
              "synthetic_per_class": {c: int((fake_y == i).sum()) for i, c in enumerate(CLASSES)}},
    }


# Feature metrics whose floor gets a bootstrap interval (cheap enough to repeat).
FLOOR_INTERVAL_METRICS = ("fid", "mmd", "sw")


def floor_rows(y_heldout: np.ndarray, per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Split held-out rows per class into the floor set (min(per_class, n_c // 2) records: the
    bank's class size where there are enough) and its held-out reference (the rest); both sorted."""
    floor, held = [], []
    for c in np.unique(y_heldout):
        idx = rng.permutation(np.flatnonzero(y_heldout == c))
        k = min(per_class, len(idx) // 2)
        floor.append(idx[:k])
        held.append(idx[k:])
    return np.sort(np.concatenate(floor)), np.sort(np.concatenate(held))


def floor_intervals(train: dict[str, np.ndarray], heldout: dict[str, np.ndarray], rows: np.ndarray, y_heldout: np.ndarray,
                    references: dict[str, SpaceReference], cfg: FidelityConfig, seed: int, dataset: str) -> dict[str, float]:
    """95 % percentile-bootstrap interval of the floor's FID, MMD and sliced Wasserstein per space:
    the floor records resampled with replacement within each class, ``floor_bootstrap`` times.
    No interval (an empty dict) where the floor holds no record: a validation split with fewer than
    two records in every class (tiny test configs) leaves nothing to resample."""
    if cfg.floor_bootstrap < 2 or len(rows) == 0:
        return {}
    rng = numpy_rng(seed, "fidelity", "floor-bootstrap", dataset)
    values: dict[str, list[float]] = {}
    by_class = [rows[y_heldout[rows] == c] for c in np.unique(y_heldout[rows])]
    for b in range(cfg.floor_bootstrap):
        pick = np.concatenate([rng.choice(r, len(r)) for r in by_class if len(r)])
        for space, ref in references.items():
            r, f = train[space], heldout[space][pick]
            sub = np.sort(rng.choice(len(r), min(len(r), cfg.mmd_max_samples), replace=False))
            res = {"fid": distances.frechet_distance(r, f), "mmd": distances.mmd_rbf(r[sub], f, ref.bandwidth),
                   "sw": distances.sliced_wasserstein((r - ref.mean) / ref.std, (f - ref.mean) / ref.std, rng,
                                                      cfg.sw_projections, cfg.sw_max_samples)}
            for m in FLOOR_INTERVAL_METRICS:
                values.setdefault(f"{space}_{m}", []).append(res[m])
    out = {}
    for key, v in values.items():
        out[f"{key}_floor_ci_low"], out[f"{key}_floor_ci_high"] = (float(q) for q in np.quantile(v, [0.025, 0.975]))
    return out

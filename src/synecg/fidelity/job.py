"""What every fidelity scoring job of one dataset shares: the real caches and the fixed references.

The bank jobs (one per bank, the pool ``all``, each external bank) and the reference job (real
floor and noise ceiling) all score sets against the same real training split with the same
per-space references and memorisation index. ``RealContext.load`` builds them once per job from
the prepared dataset (train and val only, never test), the real cache of ``embed_real`` and the
extractor's info; ``RealContext.score`` scores one set into the metrics.json dict.
"""

from __future__ import annotations

from dataclasses import dataclass
from logging import Logger
from pathlib import Path
from typing import Any

import numpy as np

from synecg.data.store import load_split
from synecg.fidelity.embed import SPACES, load_npz, physiology_of, subset
from synecg.fidelity.memorisation import RecordIndex
from synecg.fidelity.score import FidelityConfig, SpaceReference, score_set, space_reference
from synecg.io import read_json


@dataclass
class RealContext:
    """A dataset's real side of every fidelity score: caches ``train``/``val``/``noise`` (the
    ``embed_real`` entries without prefix), the raw splits (N, 12, L) mV, per-space references."""

    dataset: str
    section: dict[str, Any]
    cfg: FidelityConfig
    seed: int
    fs: float
    cache: dict[str, np.ndarray]
    train: dict[str, np.ndarray]
    val: dict[str, np.ndarray]
    noise: dict[str, np.ndarray]
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    references: dict[str, SpaceReference]
    index: RecordIndex
    extractor: dict[str, Any]

    @classmethod
    def load(cls, dataset: str, data_dir: str | Path, real_cache: str | Path, extractor_info: str | Path,
             section: dict[str, Any], seed: int, fs: float) -> "RealContext":
        cfg = FidelityConfig.from_config(section)
        cache = load_npz(real_cache)
        train, val, noise = subset(cache, "train_"), subset(cache, "val_"), subset(cache, "noise_")
        x_train, y_train, _ = load_split(data_dir, "train")
        x_val, y_val, _ = load_split(data_dir, "val")
        references = {s: space_reference(train[s], val[s], noise[s], cfg, seed, dataset, s) for s in SPACES}
        return cls(dataset=dataset, section=section, cfg=cfg, seed=seed, fs=fs, cache=cache, train=train, val=val,
                   noise=noise, x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, references=references,
                   index=RecordIndex(x_train, fs, cfg.memo), extractor=read_json(extractor_info))

    def score(self, name: str, fake: dict[str, np.ndarray], x_fake: np.ndarray, y_fake: np.ndarray,
              x_held: np.ndarray, y_held: np.ndarray, logger: Logger | None = None) -> dict[str, Any]:
        """metrics.json of one set: ``fake`` is its cache (features, predictions, physiology),
        ``x_held``/``y_held`` the held-out real records of the memorisation and attack references."""
        result = score_set(
            real_x=self.x_train, real_y=self.y_train, heldout_x=x_held, heldout_y=y_held, fake_x=x_fake,
            fake_y=y_fake, real_features={s: self.train[s] for s in SPACES}, references=self.references,
            fake_features={s: fake[s] for s in SPACES}, fake_predicted=fake["predicted"],
            real_physiology=physiology_of(self.train), fake_physiology=physiology_of(fake), fs=self.fs, cfg=self.cfg,
            seed=self.seed, name=f"{self.dataset}/{name}", train_index=self.index, logger=logger,
        )
        result.update({"dataset": self.dataset, "generator": name, "extractor_sha256": self.extractor["sha256"],
                       "extractor_val_acc": self.extractor["val_acc"], "config": self.section})
        return result

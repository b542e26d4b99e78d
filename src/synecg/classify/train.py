"""Training of the classifier: AdamW, cross-entropy, early stopping with the best weights restored.

The loop itself is ``synecg.classify.stacked`` (K runs at once; one run is K = 1); this module holds
the configuration, normaliser, result, prediction and checkpoint helpers.

Speed without changing results: the whole (normalised) training and validation sets live on the
device as one tensor each, batches are index slices of it, losses are summed on the device and read
back once per epoch, and convolutions run in bf16 autocast on CUDA when asked (the loss and the
soft-max stay fp32). The defects of the original code are not reproduced: the best-validation
weights are restored at the end, and no loader drops samples (``drop_last`` is never used).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from synecg.classify.model import ClassifierConfig, ResidualCNN
from synecg.constants import N_CLASSES
from synecg.io import atomic_path


@dataclass
class TrainConfig:
    """Optimisation settings (the paper's: AdamW, batch 32, patience 10, min delta 1e-5, wd 0.01)."""

    lr: float = 1.5844e-4
    batch_size: int = 32
    max_epochs: int = 1000
    patience: int = 10
    min_delta: float = 1e-5
    weight_decay: float = 0.01
    class_weights: bool = False
    eval_batch_size: int = 256
    bf16: bool = True
    # "all": train every parameter; "head": freeze the convolutions (transfer learning).
    trainable: str = "all"


class LeadNormaliser:
    """Per-lead z-score: mean and std over all training samples and time steps, shape (1, 12, 1).

    ``fit`` accepts several arrays (real + synthetic training sets) and pools them without
    concatenating; statistics accumulate in float64, chunk by chunk, so memory maps stay on disk.
    A flat lead (std 0) is left centred but unscaled.
    """

    def __init__(self, mean: np.ndarray | None = None, std: np.ndarray | None = None):
        self.mean = None if mean is None else np.asarray(mean, dtype=np.float32).reshape(1, -1, 1)
        self.std = None if std is None else np.asarray(std, dtype=np.float32).reshape(1, -1, 1)

    def fit(self, *arrays: np.ndarray, chunk: int = 2048) -> "LeadNormaliser":
        total = sq = None
        count = 0
        for x in arrays:
            for start in range(0, len(x), chunk):
                part = np.asarray(x[start : start + chunk], dtype=np.float64)
                s, q = part.sum(axis=(0, 2)), np.square(part).sum(axis=(0, 2))
                total = s if total is None else total + s
                sq = q if sq is None else sq + q
                count += part.shape[0] * part.shape[2]
        if not count:
            raise ValueError("cannot fit a normaliser on no data")
        mean = total / count
        std = np.sqrt(np.maximum(sq / count - mean**2, 0.0))
        std[std < 1e-8] = 1.0
        self.mean = mean.astype(np.float32).reshape(1, -1, 1)
        self.std = std.astype(np.float32).reshape(1, -1, 1)
        return self

    def __call__(self, x):
        if self.mean is None:
            raise RuntimeError("LeadNormaliser used before fit")
        if isinstance(x, Tensor):
            mean = torch.as_tensor(self.mean, device=x.device, dtype=x.dtype)
            std = torch.as_tensor(self.std, device=x.device, dtype=x.dtype)
            return (x - mean) / std
        return (np.asarray(x, dtype=np.float32) - self.mean) / self.std

    def state_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.ravel().tolist(), "std": self.std.ravel().tolist()}

    @classmethod
    def from_state_dict(cls, state: dict[str, Sequence[float]]) -> "LeadNormaliser":
        return cls(np.asarray(state["mean"]), np.asarray(state["std"]))


@dataclass
class TrainResult:
    """A trained classifier: the model holds the best-validation weights (``best_epoch``, 1-based)."""

    model: ResidualCNN
    normaliser: LeadNormaliser
    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_val_loss: float = float("inf")
    stopped_epoch: int = 0
    seconds: float = 0.0
    model_cfg: ClassifierConfig | None = None


def to_device(x: np.ndarray, normaliser: LeadNormaliser, device: torch.device, chunk: int = 4096) -> Tensor:
    """Normalise an (N, 12, L) array chunk by chunk into one float32 tensor on ``device``."""
    out = torch.empty((len(x), *x.shape[1:]), dtype=torch.float32, device=device)
    for start in range(0, len(x), chunk):
        part = torch.from_numpy(np.array(x[start : start + chunk], dtype=np.float32)).to(device)
        out[start : start + len(part)] = normaliser(part)
    return out


def _autocast(device: torch.device, bf16: bool):
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=bf16 and device.type == "cuda")


def class_weight_tensor(y: np.ndarray, device: torch.device) -> Tensor:
    """Inverse-frequency weights, mean 1 over the classes present (absent classes get weight 0)."""
    counts = np.bincount(y, minlength=N_CLASSES).astype(np.float64)
    weights = np.zeros(N_CLASSES)
    present = counts > 0
    weights[present] = 1.0 / counts[present]
    weights[present] *= present.sum() / weights[present].sum()
    return torch.as_tensor(weights, dtype=torch.float32, device=device)


def train_classifier(
    x_train: np.ndarray | Sequence[np.ndarray],
    y_train: np.ndarray,
    x_val: np.ndarray,
    y_val: np.ndarray,
    model_cfg: ClassifierConfig,
    train_cfg: TrainConfig,
    seed: int,
    device: torch.device | str = "cpu",
    logger: logging.Logger | None = None,
    init_model: ResidualCNN | None = None,
    normaliser: LeadNormaliser | None = None,
    on_epoch_end: Callable[[int, ResidualCNN, LeadNormaliser], None] | None = None,
) -> TrainResult:
    """Train one classifier; return it with the weights of its best validation epoch restored.

    ``x_train`` may be a list of arrays (real and synthetic parts): the normaliser is fitted on all
    of them together and they are stacked on the device. ``init_model`` starts from trained weights
    (transfer learning); with ``train_cfg.trainable == "head"`` its convolutions stay frozen.
    ``normaliser`` reuses given statistics instead of fitting them on ``x_train``.
    ``on_epoch_end(epoch, model, normaliser)`` runs after every epoch with the current weights
    (hyper-parameter search reports to its pruner there; an exception it raises ends training).
    Everything random (initialisation, batch order, dropout) follows ``seed``. This is the K = 1
    case of ``synecg.classify.stacked.train_members`` (one code path for single and stacked runs).
    """
    from synecg.classify.stacked import Member, train_members  # stacked.py builds on this module

    parts = list(x_train) if isinstance(x_train, (list, tuple)) else [x_train]
    member = Member("run", parts, np.asarray(y_train, dtype=np.int64), x_val, y_val, seed, init_model, normaliser)
    hook = None if on_epoch_end is None else (lambda _member, epoch, model, norm: on_epoch_end(epoch, model, norm))
    return train_members([member], model_cfg, train_cfg, device=device, logger=logger, stack=1, on_epoch_end=hook)[0]


@torch.no_grad()
def predict_proba(
    model: ResidualCNN, normaliser: LeadNormaliser, x: np.ndarray, device: torch.device | str = "cpu",
    batch_size: int = 256, bf16: bool = False,
) -> np.ndarray:
    """Class probabilities (N, n_classes) for every one of the N signals (nothing dropped)."""
    device = torch.device(device)
    model = model.to(device).eval()
    out = []
    for start in range(0, len(x), batch_size):
        part = torch.from_numpy(np.array(x[start : start + batch_size], dtype=np.float32)).to(device)
        with _autocast(device, bf16):
            logits = model(normaliser(part))
        out.append(torch.softmax(logits.float(), dim=1))
    proba = torch.cat(out).cpu().numpy() if out else np.zeros((0, model.cfg.n_classes), dtype=np.float32)
    if len(proba) != len(x):
        raise RuntimeError(f"predicted {len(proba)} of {len(x)} signals")
    return proba


def checkpoint(result: TrainResult) -> dict[str, Any]:
    """What a saved classifier holds: its config, weights (CPU), normaliser and training record."""
    return {
        "model_cfg": asdict(result.model.cfg),
        "state_dict": {k: v.detach().cpu() for k, v in result.model.state_dict().items()},
        "normaliser": result.normaliser.state_dict(),
        "best_epoch": result.best_epoch,
        "best_val_loss": result.best_val_loss,
        "history": result.history,
    }


def model_from_checkpoint(state: dict[str, Any], device: torch.device | str = "cpu") -> tuple[ResidualCNN, LeadNormaliser]:
    model = ResidualCNN(ClassifierConfig(**state["model_cfg"]))
    model.load_state_dict(state["state_dict"])
    return model.to(device).eval(), LeadNormaliser.from_state_dict(state["normaliser"])


def save_classifier(path: str | Path, result: TrainResult) -> None:
    """Write one trained classifier (atomically)."""
    with atomic_path(path) as tmp:
        torch.save(checkpoint(result), tmp)


def load_classifier(path: str | Path, device: torch.device | str = "cpu") -> tuple[ResidualCNN, LeadNormaliser]:
    """Read a classifier written by ``save_classifier``: (model in eval mode, its normaliser)."""
    return model_from_checkpoint(torch.load(path, map_location="cpu", weights_only=True), device)

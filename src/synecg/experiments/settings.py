"""Experiment settings, their output paths, and the classifier settings each (dataset) run uses.

Names follow the authors' code (Tr = train, Te = test, R = real, S = synthetic):

========  ===========================================  ==========================
setting   trains (and validates) on                    tests on
========  ===========================================  ==========================
TrRTeR    real                                         real (baseline)
TrSTeR    synthetic                                    real (TSTR)
TrRTeS    real                                         synthetic (TRTS)
TrSTeS    synthetic                                    synthetic
TrRSTeR   real + synthetic (train and val both mixed)  real (augmentation)
transfer  synthetic, then real (head or all layers)    real (transfer learning)
========  ===========================================  ==========================

The fraction of a run subsamples the training data the setting names: the real training split in
TrRTeR, TrRTeS, TrRSTeR and transfer fine-tuning, the synthetic training split in TrSTeR and
TrSTeS. Validation and test sets are always whole.
"""

from __future__ import annotations

from typing import Any, Mapping

from synecg.classify.model import ClassifierConfig
from synecg.classify.train import TrainConfig

SETTINGS: tuple[str, ...] = ("TrRTeR", "TrSTeR", "TrRTeS", "TrSTeS", "TrRSTeR")
REAL_GENERATOR = "real"  # the generator slot of real-only runs in paths and tables
TRANSFER = "transfer"
EXPERIMENTS_DIR = "results/experiments"

ARCHITECTURE_KEYS: tuple[str, ...] = (
    "blocks", "kernels", "kernel_size", "dilation", "fc_layers", "fc_units", "dropout", "shared_conv",
)
TRAINING_KEYS: tuple[str, ...] = (
    "batch_size", "max_epochs", "patience", "min_delta", "weight_decay", "class_weights", "eval_batch_size",
)


def fraction_label(fraction: float) -> str:
    """Fractions in paths and tables: 0.2 -> '0.20'."""
    return f"{float(fraction):.2f}"


def run_dir(dataset: str, setting: str, generator: str, fraction: float | str, seed: int) -> str:
    label = fraction if isinstance(fraction, str) else fraction_label(fraction)
    return f"{EXPERIMENTS_DIR}/{dataset}/{setting}/{generator}/frac{label}/seed{int(seed)}"


def metrics_path(dataset: str, setting: str, generator: str, fraction: float | str, seed: int, test_on: str | None = None) -> str:
    """``metrics.json`` of one run; ``test_on`` names another dataset's test set (cross-dataset)."""
    name = "metrics.json" if test_on is None else f"metrics_on_{test_on}.json"
    return f"{run_dir(dataset, setting, generator, fraction, seed)}/{name}"


def models_path(dataset: str, setting: str, generator: str) -> str:
    """All classifiers (every fraction and seed) of one job, for later evaluation on other test sets."""
    return f"{EXPERIMENTS_DIR}/{dataset}/{setting}/{generator}/models.pt"


def pretrained_path(dataset: str, generator: str) -> str:
    return f"{EXPERIMENTS_DIR}/{dataset}/{TRANSFER}/{generator}/pretrained.pt"


def model_settings(config: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The architecture and learning rate of the preset a dataset's runs use (config ``classifier``)."""
    clf = config["classifier"]
    name = clf["dataset_preset"][dataset]
    if name not in clf["presets"]:
        raise KeyError(f"classifier.dataset_preset.{dataset} names preset {name!r}, not in classifier.presets")
    return {"preset": name, **clf["presets"][name]}


def training_settings(config: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """Everything of TrainConfig for a dataset's runs (lr from its preset, the rest shared)."""
    clf = config["classifier"]
    return {
        "lr": model_settings(config, dataset)["lr"],
        **{k: clf[k] for k in TRAINING_KEYS},
        "bf16": bool(config.get("compute", {}).get("bf16", True)),
    }


def build_model_config(settings: Mapping[str, Any], signal_length: int) -> ClassifierConfig:
    return ClassifierConfig(signal_length=int(signal_length), **{k: settings[k] for k in ARCHITECTURE_KEYS})


def build_train_config(settings: Mapping[str, Any], trainable: str = "all") -> TrainConfig:
    return TrainConfig(**settings, trainable=trainable)

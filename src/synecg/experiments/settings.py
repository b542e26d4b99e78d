"""Experiment settings, their output paths, and the classifier settings each (dataset) run uses.

Names follow the authors' code (Tr = train, Te = test, R = real, S = synthetic):

========  ===========================================  ==========================
setting   trains (and validates) on                    tests on
========  ===========================================  ==========================
TrRTeR    real                                         real (baseline)
TrSTeR    synthetic                                    real (TSTR)
TrRTeS    real                                         synthetic (TRTS)
TrSTeS    synthetic                                    synthetic
TrRSTeR   real + synthetic (validation real only)      real (augmentation)
transfer  synthetic, then real (head or all layers)    real (transfer learning)
========  ===========================================  ==========================

Arms (controls and variants) are rows of the grid named ``<family>-<arm>``; the family's plain name
is the paper's arm. ``TrRTeR-balanced``: the baseline's real subset, class-balanced by
oversampling (the control that separates "balanced" from "synthetic"). ``TrRSTeR-r<ratio>``: a
class-balanced synthetic draw of ratio x the real subset's size; ``TrRSTeR`` adds the whole bank
(the paper); ``TrRSTeR-equal`` (pool ``all`` only): the pool drawn down to one member bank's size.
``transfer-head`` / ``transfer-all``: fine-tuning with the convolutions frozen or not.

Control banks (synecg.experiments.controls) stand in the generator slot as ``control-<name>``
(``control-shuffled``, ``control-copies``): banks of real training records run through the TrRSTeR
arms like a generator's bank, so every study shows what "more rows" alone gives.

The fraction of a run subsamples the training data the setting names: the real training split in
TrRTeR, TrRTeS, TrRSTeR and transfer fine-tuning, the synthetic training split in TrSTeR and
TrSTeS. Validation and test sets are always whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import yaml

from synecg.classify.model import ClassifierConfig
from synecg.classify.train import TrainConfig

SETTINGS: tuple[str, ...] = ("TrRTeR", "TrSTeR", "TrRTeS", "TrSTeS", "TrRSTeR")
REAL_GENERATOR = "real"  # the generator slot of real-only runs in paths and tables
TRANSFER = "transfer"
BALANCED = "TrRTeR-balanced"
EQUAL_POOL = "TrRSTeR-equal"
TRANSFER_TRAINABLE: tuple[str, ...] = ("head", "all")
CONTROL_PREFIX = "control-"  # generator slot of the control banks: control-shuffled, control-copies
EXPERIMENTS_DIR = "results/experiments"
TUNING_DIR = "results/tuning"

ARCHITECTURE_KEYS: tuple[str, ...] = (
    "blocks", "kernels", "kernel_size", "dilation", "fc_layers", "fc_units", "dropout", "shared_conv",
)
TRAINING_KEYS: tuple[str, ...] = (
    "batch_size", "max_epochs", "patience", "min_delta", "weight_decay", "class_weights", "eval_batch_size",
)


def fraction_label(fraction: float) -> str:
    """Fractions in paths and tables: 0.2 -> '0.20'."""
    return f"{float(fraction):.2f}"


def ratio_setting(ratio: float) -> str:
    """The TrRSTeR arm adding ``ratio`` x the real subset's size of synthetic data: 0.25 -> 'TrRSTeR-r0.25'."""
    return f"TrRSTeR-r{float(ratio):g}"


def control_generator(name: str) -> str:
    """The generator slot of a control bank in paths and tables: 'shuffled' -> 'control-shuffled'."""
    return f"{CONTROL_PREFIX}{name}"


def is_control(generator: str) -> bool:
    """True for a control bank's generator slot (control-shuffled, control-copies)."""
    return str(generator).startswith(CONTROL_PREFIX)


def transfer_setting(trainable: str) -> str:
    if trainable not in TRANSFER_TRAINABLE:
        raise ValueError(f"transfer trainable must be one of {TRANSFER_TRAINABLE}, not {trainable!r}")
    return f"{TRANSFER}-{trainable}"


def parse_setting(setting: str) -> dict[str, Any]:
    """The identity of a grid row: family (TrRTeR ... transfer), arm ('paper' for the plain name),
    synthetic:real ratio (None: none or the whole bank) and trainable layers (transfer only)."""
    family, _, arm = setting.partition("-")
    if family not in (*SETTINGS, TRANSFER):
        raise ValueError(f"unknown setting {setting!r}")
    ratio = float(arm[1:]) if family == "TrRSTeR" and arm.startswith("r") else None
    return {"setting": setting, "family": family, "arm": arm or "paper", "ratio": ratio,
            "trainable": arm if family == TRANSFER else None}


def run_dir(dataset: str, setting: str, generator: str, fraction: float | str, seed: int) -> str:
    label = fraction if isinstance(fraction, str) else fraction_label(fraction)
    return f"{EXPERIMENTS_DIR}/{dataset}/{setting}/{generator}/frac{label}/seed{int(seed)}"


def metrics_path(dataset: str, setting: str, generator: str, fraction: float | str, seed: int, test_on: str | None = None) -> str:
    """``metrics.json`` of one run; ``test_on`` names another dataset's test set (cross-dataset)."""
    name = "metrics.json" if test_on is None else f"metrics_on_{test_on}.json"
    return f"{run_dir(dataset, setting, generator, fraction, seed)}/{name}"


def predictions_path(metrics_file: str) -> str:
    """The test-set class probabilities of a run, beside its metrics file (same stem)."""
    folder, _, name = str(metrics_file).rpartition("/")
    if not (name.startswith("metrics") and name.endswith(".json")):
        raise ValueError(f"{metrics_file} is not a metrics file")
    return f"{folder}/predictions{name[len('metrics'):-len('.json')]}.npz"


def manifest_path(dataset: str, setting: str, generator: str, test_on: str | None = None) -> str:
    """``runs.json`` (``runs_on_{test_on}.json``) of one (dataset, setting, generator): the list of
    its runs' metrics files, written last by the job. Snakemake tracks these manifests, not the
    per-run files, so the paper grid (~18,500 runs) plans in seconds."""
    name = "runs.json" if test_on is None else f"runs_on_{test_on}.json"
    return f"{EXPERIMENTS_DIR}/{dataset}/{setting}/{generator}/{name}"


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


def tuned_preset_path(dataset: str) -> str:
    """best.yaml of a dataset's hyper-parameter search (synecg.tuning)."""
    return f"{TUNING_DIR}/{dataset}/best.yaml"


def job_preset(config: Mapping[str, Any], dataset: str) -> dict[str, Any]:
    """The ``model`` and ``training`` of a dataset's classifier jobs under ``classifier.preset_family``.

    ``published``: the named preset of the config. ``tuned``: a reference to the dataset's
    best.yaml, read when the job runs (``resolve_tuned_preset``); lr and weight decay come from it.
    """
    if config["classifier"].get("preset_family", "published") == "published":
        return {"model": model_settings(config, dataset), "training": training_settings(config, dataset)}
    return {
        "model": {"preset": "tuned", "source": tuned_preset_path(dataset)},
        "training": {**training_settings(config, dataset), "lr": None, "weight_decay": None},
    }


def resolve_tuned_preset(job: Mapping[str, Any]) -> dict[str, Any]:
    """A job's params with a tuned-preset reference replaced by the preset in its best.yaml."""
    job = dict(job)
    if job["model"].get("preset") != "tuned":
        return job
    source = job["model"]["source"]
    try:
        preset = yaml.safe_load(Path(source).read_text())["preset"]
    except (OSError, KeyError, TypeError) as err:
        raise RuntimeError(f"{source}: no tuned preset ({err}); run the tune_classifier stage first") from err
    job["model"] = {"preset": "tuned", "source": source, **{k: preset[k] for k in (*ARCHITECTURE_KEYS, "lr")}}
    job["training"] = {**job["training"], "lr": preset["lr"], "weight_decay": preset["weight_decay"]}
    return job


def build_model_config(settings: Mapping[str, Any], signal_length: int) -> ClassifierConfig:
    return ClassifierConfig(signal_length=int(signal_length), **{k: settings[k] for k in ARCHITECTURE_KEYS})


def build_train_config(settings: Mapping[str, Any], trainable: str = "all") -> TrainConfig:
    return TrainConfig(**settings, trainable=trainable)

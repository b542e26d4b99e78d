"""Hyper-parameter search of the classifier on validation data only (Optuna: TPE sampler, median or
Hyperband pruner, shared storage for parallel workers).

The search sees arrays, never files: ``run_worker`` takes the training and validation splits, and
the workflow loads exactly those two (``load_tuning_splits``), so no choice can depend on a test
set. Every trial trains with ``synecg.classify.train.train_classifier`` from the same seed, so
trials differ by their hyper-parameters only; after each epoch the trial reports the validation
metric to the pruner. Its value is the metric of the restored best-validation-loss weights, i.e.
of the model an experiment run with that preset would keep.

Parallel workers are separate processes (Snakemake jobs) on one study in an Optuna storage:
SQLite (the default), a journal file (safe on NFS, where SQLite's locking is not) or any
SQLAlchemy RDB URL. Worker ``k`` of ``n`` runs its share of the trials and tags them
``worker=k``; a re-run worker resumes its share (its RUNNING leftovers are marked FAIL first).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import optuna
import pandas as pd

from synecg.classify.metrics import SUMMARY_METRICS, classification_metrics
from synecg.classify.model import ClassifierConfig
from synecg.classify.train import TrainConfig, predict_proba, train_classifier
from synecg.data.store import load_split
from synecg.seeding import derive_seed

# Parameters of a preset: the network (ClassifierConfig fields) and the optimiser (TrainConfig fields).
MODEL_PARAMS: tuple[str, ...] = (
    "blocks", "kernels", "kernel_size", "dilation", "fc_layers", "fc_units", "dropout", "shared_conv",
)
OPTIMISER_PARAMS: tuple[str, ...] = ("lr", "weight_decay")
PRESET_PARAMS = MODEL_PARAMS + OPTIMISER_PARAMS
INTEGER_PARAMS = {"blocks", "kernels", "kernel_size", "dilation", "fc_layers", "fc_units"}
FINISHED = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)


class SearchSpaceError(ValueError):
    """A search space the classifier cannot be built from (names the config key)."""


@dataclass
class StudySpec:
    """Everything a study depends on; written to ``study.yaml`` and read by every worker."""

    name: str
    storage: str  # an Optuna storage URL, or "journal:<path>" for a journal file
    dataset: str
    seed: int  # master seed: sampler seeds and the trials' training seed derive from it
    n_trials: int
    workers: int
    metric: str
    pruner: str  # median | hyperband | none
    startup_trials: int
    space: Mapping[str, Mapping[str, Any]]
    training: Mapping[str, Any]  # TrainConfig fields except lr and weight_decay (searched)
    data_files: list[str] = field(default_factory=list)


def storage_location(kind: str, study_dir: str | Path) -> str:
    """Storage of a study: ``sqlite`` -> study.db in ``study_dir``, ``journal`` -> study.journal
    there (Optuna's JournalFileBackend, the safe choice on NFS), anything else is taken as an
    SQLAlchemy URL (e.g. ``postgresql://user@host/db``)."""
    study_dir = Path(study_dir)
    if kind == "sqlite":
        return f"sqlite:///{study_dir / 'study.db'}"
    if kind == "journal":
        return f"journal:{study_dir / 'study.journal'}"
    if "://" not in kind:
        raise ValueError(f"tuning.storage must be sqlite, journal or a database URL, not {kind!r}")
    return kind


def open_storage(location: str) -> optuna.storages.BaseStorage:
    """The Optuna storage behind ``location`` (see ``storage_location``)."""
    if location.startswith("journal:"):
        path = Path(location.removeprefix("journal:"))
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(
            str(path), lock_obj=optuna.storages.journal.JournalFileOpenLock(str(path))
        )
        return optuna.storages.journal.JournalStorage(backend)
    if location.startswith("sqlite:///"):
        Path(location.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Workers wait for each other's short writes instead of failing with "database is locked".
        return optuna.storages.RDBStorage(location, engine_kwargs={"connect_args": {"timeout": 120}})
    return optuna.storages.RDBStorage(location)


def check_space(space: Mapping[str, Mapping[str, Any]], signal_length: int) -> None:
    """Every preset parameter has a range ({low, high[, log]}) or a list of choices, and every
    network the space holds can be built for ``signal_length``-sample signals."""
    missing = [p for p in PRESET_PARAMS if p not in space]
    unknown = [p for p in space if p not in PRESET_PARAMS]
    if missing or unknown:
        raise SearchSpaceError(f"tuning.space: missing {missing}, unknown {unknown} (expected {list(PRESET_PARAMS)})")
    for name, spec in space.items():
        if "choices" in spec:
            if not spec["choices"]:
                raise SearchSpaceError(f"tuning.space.{name}: empty choices")
        elif not ("low" in spec and "high" in spec and spec["low"] <= spec["high"]):
            raise SearchSpaceError(f"tuning.space.{name}: needs choices, or low <= high (got {dict(spec)})")
    blocks = space["blocks"]
    most = max(blocks["choices"]) if "choices" in blocks else blocks["high"]
    if ClassifierConfig(blocks=int(most), signal_length=signal_length).pooled_length() < 1:
        raise SearchSpaceError(
            f"tuning.space.blocks: {most} blocks pool a {signal_length}-sample signal to nothing; lower its maximum"
        )


def suggest_preset(trial: optuna.Trial, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """One preset (MODEL_PARAMS + OPTIMISER_PARAMS) drawn from ``space`` by the trial's sampler."""
    preset = {}
    for name in PRESET_PARAMS:
        spec = space[name]
        if "choices" in spec:
            preset[name] = trial.suggest_categorical(name, list(spec["choices"]))
        elif name in INTEGER_PARAMS:
            preset[name] = trial.suggest_int(name, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log", False)))
        else:
            preset[name] = trial.suggest_float(name, float(spec["low"]), float(spec["high"]), log=bool(spec.get("log", False)))
    return preset


def _pruner(spec: StudySpec) -> optuna.pruners.BasePruner:
    if spec.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=spec.startup_trials, n_warmup_steps=1)
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=int(spec.training["max_epochs"]))
    if spec.pruner == "none":
        return optuna.pruners.NopPruner()
    raise ValueError(f"tuning.pruner must be median, hyperband or none, not {spec.pruner!r}")


def _sampler(spec: StudySpec, worker: int) -> optuna.samplers.TPESampler:
    # Each worker draws from its own stream: workers seeded alike would propose the same trials.
    seed = derive_seed(spec.seed, "tuning", spec.dataset, "sampler", worker) % 2**32
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=spec.startup_trials)


def create_study(spec: StudySpec) -> optuna.Study:
    """A new, empty study (an existing study of that name in the storage is deleted first)."""
    storage = open_storage(spec.storage)
    if spec.name in {s.study_name for s in optuna.get_all_study_summaries(storage, include_best_trial=False)}:
        optuna.delete_study(study_name=spec.name, storage=storage)
    study = optuna.create_study(study_name=spec.name, storage=storage, direction="maximize")
    study.set_user_attr("metric", spec.metric)
    study.set_user_attr("dataset", spec.dataset)
    return study


def worker_share(n_trials: int, workers: int, worker: int) -> int:
    """Trials worker ``worker`` (0-based) runs: the shares of all workers add up to ``n_trials``."""
    if not 0 <= worker < workers:
        raise ValueError(f"worker {worker} of {workers}")
    return n_trials // workers + (1 if worker < n_trials % workers else 0)


def _validation_score(model, normaliser, x_val: np.ndarray, y_val: np.ndarray, metric: str, device, batch_size: int) -> float:
    value = classification_metrics(y_val, predict_proba(model, normaliser, x_val, device=device, batch_size=batch_size))[metric]
    return float("nan") if value is None else float(value)


def run_worker(
    spec: StudySpec, worker: int, x_train: np.ndarray, y_train: np.ndarray, x_val: np.ndarray, y_val: np.ndarray,
    device: str = "cpu", logger: logging.Logger | None = None,
) -> pd.DataFrame:
    """Run worker ``worker``'s share of the study's trials on (train, validation) arrays (N, 12, L).

    Returns the trials this worker finished (number, state, value). Already finished trials of
    this worker count towards its share (a re-run resumes); its RUNNING leftovers (a killed run)
    are marked FAIL and redone.
    """
    if spec.metric not in SUMMARY_METRICS:
        raise ValueError(f"tuning.metric must be one of {SUMMARY_METRICS}, not {spec.metric!r}")
    check_space(spec.space, x_train.shape[-1])
    storage = open_storage(spec.storage)
    study = optuna.load_study(study_name=spec.name, storage=storage, sampler=_sampler(spec, worker), pruner=_pruner(spec))
    mine = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("worker") == worker]
    for t in mine:
        if t.state == optuna.trial.TrialState.RUNNING:
            storage.set_trial_state_values(t._trial_id, optuna.trial.TrialState.FAIL)
    remaining = worker_share(spec.n_trials, spec.workers, worker) - sum(t.state in FINISHED for t in mine)
    train_seed = derive_seed(spec.seed, "tuning", spec.dataset, "classifier")
    eval_batch = int(spec.training["eval_batch_size"])

    def objective(trial: optuna.Trial) -> float:
        trial.set_user_attr("worker", worker)
        preset = suggest_preset(trial, spec.space)
        model_cfg = ClassifierConfig(signal_length=x_train.shape[-1], **{k: preset[k] for k in MODEL_PARAMS})
        train_cfg = TrainConfig(**{**spec.training, **{k: preset[k] for k in OPTIMISER_PARAMS}})

        def report(epoch, model, normaliser):
            score = _validation_score(model, normaliser, x_val, y_val, spec.metric, device, eval_batch)
            trial.report(0.0 if math.isnan(score) else score, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"epoch {epoch}: validation {spec.metric} {score:.4f}")

        result = train_classifier(x_train, y_train, x_val, y_val, model_cfg, train_cfg, seed=train_seed, device=device,
                                  on_epoch_end=report)
        trial.set_user_attr("best_epoch", result.best_epoch)
        trial.set_user_attr("best_val_loss", result.best_val_loss)
        score = _validation_score(result.model, result.normaliser, x_val, y_val, spec.metric, device, eval_batch)
        if logger:
            logger.info("trial %d: %s -> validation %s %.4f (best epoch %d)", trial.number, preset, spec.metric,
                        score, result.best_epoch)
        return score

    if remaining > 0:
        if logger:
            logger.info("worker %d of %d: %d trials to run in study %s", worker, spec.workers, remaining, spec.name)
        study.optimize(objective, n_trials=remaining, catch=())
    done = [t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("worker") == worker and t.state in FINISHED]
    return pd.DataFrame({"number": [t.number for t in done], "state": [t.state.name for t in done],
                         "value": [t.value for t in done]})


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, value, worker, duration (s), best epoch, the parameters."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        seconds = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start else None
        rows.append({
            "number": t.number, "state": t.state.name, "value": t.value, "worker": t.user_attrs.get("worker"),
            "seconds": seconds, "epochs": max(t.intermediate_values, default=None),
            "best_epoch": t.user_attrs.get("best_epoch"), **{p: t.params.get(p) for p in PRESET_PARAMS},
        })
    return pd.DataFrame(rows, columns=["number", "state", "value", "worker", "seconds", "epochs", "best_epoch", *PRESET_PARAMS])


def best_preset(study: optuna.Study, spec: StudySpec) -> dict[str, Any]:
    """The best trial as a preset (the contents of best.yaml) with the study's provenance."""
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == optuna.trial.TrialState.COMPLETE
                and t.value is not None and not math.isnan(t.value)]
    if not complete:
        raise RuntimeError(f"study {spec.name} has no completed trial with a {spec.metric} value")
    best = max(complete, key=lambda t: (t.value, -t.number))  # ties: the earliest trial
    counts = {s.name.lower(): sum(t.state == s for t in study.get_trials(deepcopy=False)) for s in optuna.trial.TrialState}
    preset = {k: _plain(best.params[k]) for k in PRESET_PARAMS}
    return {
        "preset": preset,
        "validation": {"metric": spec.metric, "value": float(best.value), "trial": best.number,
                       "best_epoch": best.user_attrs.get("best_epoch")},
        "provenance": {
            "study": spec.name, "storage": spec.storage, "dataset": spec.dataset, "seed": spec.seed,
            "n_trials": spec.n_trials, "workers": spec.workers, "trials": counts,
            "sampler": f"TPESampler(n_startup_trials={spec.startup_trials}), seeded per worker",
            "pruner": spec.pruner, "space": {k: dict(v) for k, v in spec.space.items()},
            "training": dict(spec.training), "data_files": list(spec.data_files),
            "optuna": optuna.__version__,
        },
    }


def _plain(value: Any) -> Any:
    """numpy scalars -> Python scalars (YAML-safe)."""
    return value.item() if isinstance(value, np.generic) else value


def load_tuning_splits(dataset_dir: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val, y_val) of a prepared dataset: records.csv, train.npy and val.npy,
    the only files a search reads (test.npy is never opened)."""
    x_train, y_train, _ = load_split(dataset_dir, "train", mmap=False)
    x_val, y_val, _ = load_split(dataset_dir, "val", mmap=False)
    return x_train, y_train, x_val, y_val

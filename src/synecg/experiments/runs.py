"""Classifier runs of the experiment grid: assemble each run's data, train, test, write metrics.json.

One job covers every (fraction, seed) of one (dataset, setting family, generator), so a study of
thousands of runs costs tens of Python start-ups, not thousands. Paired design: at the same
(dataset, fraction, seed) every setting draws the same real subset and starts from the same
initial weights, so differences between settings are not diluted by sampling noise.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from synecg.classify.metrics import classification_metrics
from synecg.classify.stacked import Member, train_members
from synecg.classify.train import (
    TrainResult,
    checkpoint,
    model_from_checkpoint,
    predict_proba,
)
from synecg.data.store import load_split
from synecg.errors import ContractError
from synecg.experiments.sampling import class_balanced_draw, oversample_to_balance, stratified_fraction
from synecg.experiments.settings import (
    BALANCED,
    EQUAL_POOL,
    REAL_GENERATOR,
    TRANSFER,
    build_model_config,
    build_train_config,
    fraction_label,
    manifest_path,
    metrics_path,
    parse_setting,
    predictions_path,
    transfer_setting,
)
from synecg.generators.bank import load_bank, split_bank
from synecg.generators.training import config_fingerprint
from synecg.io import atomic_path, read_json, write_json
from synecg.seeding import derive_seed, numpy_rng

TRAIN_DATA = {"TrRTeR": "real", "TrRTeS": "real", "TrSTeR": "synthetic", "TrSTeS": "synthetic", "TrRSTeR": "mixed", TRANSFER: "real"}
TEST_DATA = {"TrRTeR": "real", "TrRTeS": "synthetic", "TrSTeR": "real", "TrSTeS": "synthetic", "TrRSTeR": "real", TRANSFER: "real"}


@dataclass
class Split:
    """Signals (N, 12, L) mV, labels (N,), and ids naming each row's origin ('real:<record_id>',
    'synthetic:<generator>:<bank row>')."""

    x: np.ndarray
    y: np.ndarray
    ids: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def take(self, rows: np.ndarray) -> "Split":
        return Split(np.asarray(self.x[rows]), self.y[rows], self.ids[rows])


@dataclass
class Source:
    """train / val / test splits of one data source (a prepared dataset, or a split bank)."""

    name: str
    splits: dict[str, Split]
    n_members: int = 1  # banks pooled into this source (generator `all`)

    def __getitem__(self, split: str) -> Split:
        return self.splits[split]


@dataclass
class RunData:
    """What one run trains, validates and tests on (training may be several parts: real + synthetic)."""

    train: list[Split]
    val: list[Split]
    tests: dict[str, Split] = field(default_factory=dict)

    @property
    def train_ids(self) -> np.ndarray:
        return np.concatenate([p.ids for p in self.train])

    @property
    def val_ids(self) -> np.ndarray:
        return np.concatenate([p.ids for p in self.val])


def load_real(dataset_dir: str | Path, name: str) -> Source:
    """The prepared train / val / test splits of a dataset (memory-mapped)."""
    splits = {}
    for split in ("train", "val", "test"):
        x, y, rows = load_split(dataset_dir, split)
        splits[split] = Split(x, y, np.asarray(["real:" + r for r in rows["record_id"].astype(str)], dtype=object))
    return Source(name, splits)


def load_synthetic(bank_dirs: Sequence[str | Path], names: Sequence[str], rng: np.random.Generator,
                   shares: Sequence[float] = (0.8, 0.1, 0.1)) -> Source:
    """One bank, or the union of several (generator ``all``, in the order of ``concat_banks``),
    split per class into train / val / test ``shares`` (the paper's 80/10/10), seeded.

    Banks are memory-mapped and only the rows of each split are read, so the union of large banks
    is never held twice in memory.
    """
    banks = [load_bank(d, mmap=True) for d in bank_dirs]
    lengths = {b.x.shape[-1] for b in banks}
    if len(lengths) != 1:
        raise ContractError(",".join(map(str, bank_dirs)), f"banks have different signal lengths {sorted(lengths)}")
    y = np.concatenate([b.y for b in banks])
    ids = np.asarray([f"synthetic:{n}:{i}" for n, b in zip(names, banks) for i in range(len(b))], dtype=object)
    starts = np.cumsum([0] + [len(b) for b in banks])
    splits = {}
    for split, rows in split_bank(y, rng, tuple(shares)).items():
        if len(rows) == 0:
            raise ContractError(
                ",".join(map(str, bank_dirs)),
                f"{len(y)} samples leave the {split} split empty under the {list(shares)} split; "
                "each class needs at least 3 samples (raise the bank size, config bank.per_class)",
            )
        parts = [np.asarray(b.x[rows[(rows >= lo) & (rows < hi)] - lo]) for b, lo, hi in zip(banks, starts[:-1], starts[1:])]
        splits[split] = Split(np.concatenate(parts) if len(parts) > 1 else parts[0], y[rows], ids[rows])
    return Source("+".join(names), splits, n_members=len(banks))


def assemble_run(
    setting: str, real: Source | None, synthetic: Source | None, fraction: float,
    real_rng: np.random.Generator | None = None, synthetic_rng: np.random.Generator | None = None,
    arm_rng: np.random.Generator | None = None,
) -> RunData:
    """Training, validation and test data of one run of ``setting`` (an arm, see
    synecg.experiments.settings) at ``fraction`` of its training data.

    Every arm tested on real data stops early on the real validation split alone, so model
    selection is the same in the arms a comparison pairs; TrSTeR / TrSTeS validate on the bank's
    validation split (they see no real data). ``arm_rng`` draws what the arm adds (oversampled
    rows, the synthetic share).
    """
    arm = parse_setting(setting)
    kind = TRAIN_DATA[arm["family"]]
    if kind in ("real", "mixed"):
        real_train = real["train"].take(stratified_fraction(real["train"].y, fraction, real_rng))
    if kind == "real":
        if setting == BALANCED:
            real_train = real_train.take(oversample_to_balance(real_train.y, arm_rng))
        train, val = [real_train], [real["val"]]
    elif kind == "synthetic":
        train = [synthetic["train"].take(stratified_fraction(synthetic["train"].y, fraction, synthetic_rng))]
        val = [synthetic["val"]]
    else:  # real + synthetic training, real validation and test (the paper's augmentation)
        pool = synthetic["train"]
        if arm["ratio"] is not None:
            rows = class_balanced_draw(pool.y, int(round(arm["ratio"] * len(real_train))), arm_rng)
        elif setting == EQUAL_POOL:
            rows = class_balanced_draw(pool.y, len(pool) // synthetic.n_members, arm_rng)
        else:
            rows = np.arange(len(pool))
        train, val = [real_train, pool.take(rows)], [real["val"]]
    test_source = real if TEST_DATA[arm["family"]] == "real" else synthetic
    return RunData(train=train, val=val, tests={TEST_DATA[arm["family"]]: test_source["test"]})


def check_no_leakage(data: RunData, path: str = "<run>") -> None:
    """No test row may appear in training or validation (by record id / bank row)."""
    seen = set(data.train_ids) | set(data.val_ids)
    for name, test in data.tests.items():
        leaked = seen.intersection(test.ids)
        if leaked:
            raise ContractError(path, f"{len(leaked)} {name} test rows also in training/validation, e.g. {sorted(leaked)[:3]}")


@dataclass
class JobSpec:
    """One job of the grid: every (fraction, seed) of one dataset, setting family and generator."""

    dataset: str
    generator: str
    fractions: Sequence[float]
    seeds: Sequence[int]
    model: Mapping[str, Any]  # preset of synecg.experiments.settings.model_settings
    training: Mapping[str, Any]  # synecg.experiments.settings.training_settings
    master_seed: int


def train_seed(spec: JobSpec, fraction: float, seed: int) -> int:
    """Initial weights, batch order and dropout of a run: shared by all settings at (dataset, fraction, seed)."""
    return derive_seed(spec.master_seed, "classifier", spec.dataset, fraction_label(fraction), seed)


def real_fraction_rng(spec: JobSpec, seed: int) -> np.random.Generator:
    return numpy_rng(spec.master_seed, "fraction", spec.dataset, REAL_GENERATOR, seed)


def synthetic_fraction_rng(spec: JobSpec, seed: int) -> np.random.Generator:
    return numpy_rng(spec.master_seed, "fraction", spec.dataset, spec.generator, seed)


def bank_split_rng(master_seed: int, dataset: str, generator: str) -> np.random.Generator:
    """The split of a bank is fixed per (dataset, generator), like the real splits: same for every run."""
    return numpy_rng(master_seed, "bank_split", dataset, generator)


def load_job_synthetic(spec: JobSpec, bank_dirs: Sequence[str], names: Sequence[str], shares: Sequence[float]) -> Source:
    """The split bank of a job's (dataset, generator)."""
    return load_synthetic(bank_dirs, names, bank_split_rng(spec.master_seed, spec.dataset, spec.generator), shares)


def arm_rng(spec: JobSpec, setting: str, fraction: float, seed: int) -> np.random.Generator:
    """What an arm adds to the real subset (oversampled rows, the synthetic draw), per run."""
    return numpy_rng(spec.master_seed, "arm", spec.dataset, setting, spec.generator, fraction_label(fraction), seed)


def _record(spec: JobSpec, setting: str, fraction: float, seed: int, data: RunData | None, result: dict[str, Any]) -> dict[str, Any]:
    record = {
        "dataset": spec.dataset, **parse_setting(setting), "generator": spec.generator,
        "fraction": float(fraction), "seed": int(seed), "model": dict(spec.model),
    }
    if data is not None:
        sources = np.concatenate([p.ids for p in data.train])
        n_syn = int(sum(str(i).startswith("synthetic:") for i in sources))
        record.update(n_train=len(sources), n_train_synthetic=n_syn, n_train_real=len(sources) - n_syn,
                      n_val=int(sum(len(p) for p in data.val)))
    return {**record, **result}


class RunStore:
    """Finished runs of one job (checkpoint + training summary per run key), written atomically as
    each run finishes, in a folder Snakemake does not own: a killed job's declared outputs are
    deleted before its rerun, these survive, and the rerun trains only the runs not stored yet.
    The folder is keyed by a fingerprint of the job, so a changed config never resumes stale runs;
    ``clear`` removes it once the job has succeeded. ``folder=None`` stores nothing (no resume)."""

    def __init__(self, folder: str | Path | None, job: Any):
        self.folder = None if folder is None else Path(folder) / config_fingerprint(job)

    def _path(self, key: str) -> Path:
        return self.folder / (key.replace("/", "__") + ".pt")

    def load(self, key: str) -> dict[str, Any] | None:
        if self.folder is None or not self._path(key).exists():
            return None
        return torch.load(self._path(key), map_location="cpu", weights_only=True)

    def save(self, key: str, payload: Mapping[str, Any]) -> None:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_path(self._path(key)) as tmp:
                torch.save(dict(payload), tmp)

    def clear(self) -> None:
        if self.folder is not None and self.folder.exists():
            shutil.rmtree(self.folder)


def resume_dir_of(log_file: str | Path, part: str = "") -> Path:
    """Where a job keeps its finished runs: results/.resume/<the job's log path>[/<part>]."""
    return Path("results") / ".resume" / Path(log_file) / part


def job_stacking(config: Mapping[str, Any], log_file: str | Path, mem_mb: int | None, part: str = "") -> dict[str, Any]:
    """The stacking and resume arguments of a rule's job: K from ``compute.stack``, the job's
    resume folder (from its log path; ``part`` for a job of several training jobs), its
    ``resources.mem_mb``. Not job params: changing K changes
    no result (docs/classifier.md), so it re-runs nothing."""
    return {"stack": int(config["compute"]["stack"]), "resume_dir": resume_dir_of(log_file, part), "mem_mb": mem_mb}


def stack_for_memory(stack: int, mem_mb: int | None, rows: int, signal_shape: Sequence[int], logger=None,
                     device: torch.device | str = "cpu") -> int:
    """The largest K <= ``stack`` whose members fit ``mem_mb`` (resources.classifier.mem_mb) and,
    on CUDA, the device's free memory.

    ``rows`` bounds one run's training + validation signals of ``signal_shape`` (float32). Host
    estimate per member: the assembled copy, plus the normalised pool on CPU (x2), plus 500 MB for
    Python and torch; device estimate: the normalised pool plus a 2 GB margin. Raises when not even
    one member fits."""
    if stack < 1:
        raise ValueError(f"compute.stack must be >= 1, not {stack}")
    device = torch.device(device)
    signal_mb = rows * int(np.prod(signal_shape)) * 4 / 2**20
    fits = stack
    if mem_mb is not None:
        per_member = signal_mb * (2 if device.type == "cpu" else 1)
        fits = int((mem_mb - 500) // max(per_member, 1e-9))
        if fits < 1:
            raise ValueError(f"resources.classifier.mem_mb = {mem_mb} MB cannot hold one run of {rows} signals "
                             f"(~{per_member + 500:.0f} MB); raise it")
    if device.type == "cuda":
        free_mb = torch.cuda.mem_get_info(device)[0] / 2**20
        fits = min(fits, max(1, int((free_mb - 2048) // max(signal_mb, 1e-9))))
    if fits < stack and logger:
        logger.info("compute.stack %d lowered to %d to fit memory (mem_mb %s, %d signals per run)", stack, fits, mem_mb, rows)
    return min(stack, fits)


def _member(key: str, data: RunData, seed: int, init=None, normaliser=None) -> Member:
    x_val = np.concatenate([p.x for p in data.val]) if len(data.val) > 1 else data.val[0].x
    return Member(key, [p.x for p in data.train], np.concatenate([p.y for p in data.train]), x_val,
                  np.concatenate([p.y for p in data.val]), seed, init_model=init, normaliser=normaliser)


def _train_runs(
    spec: JobSpec, items: Sequence[tuple[str, RunData, int]], done, store: RunStore, logger, device,
    trainable: str = "all", init=None, normaliser=None,
) -> None:
    """Train the runs ``items`` = (key, data, seed) as one stack (synecg.classify.stacked), the
    runs already in ``store`` excepted; ``done(key, checkpoint, summary)`` is called for each run
    (stored ones first) as soon as it has finished, after it is stored."""
    pending = []
    for key, data, seed in items:
        stored = store.load(key)
        if stored is not None:
            if logger:
                logger.info("run %s: finished before, resumed from %s", key, store.folder)
            done(key, stored["checkpoint"], stored["summary"])
        else:
            pending.append(_member(key, data, seed, init, normaliser))
    if not pending:
        return

    def finished(member: Member, result: TrainResult) -> None:
        state, summary = checkpoint(result), _training_summary(result)
        store.save(member.key, {"checkpoint": state, "summary": summary})
        done(member.key, state, summary)

    model_cfg = build_model_config(spec.model, pending[0].x_val.shape[-1])
    train_members(pending, model_cfg, build_train_config(spec.training, trainable), device=device, logger=logger,
                  stack=len(pending), on_done=finished)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _test(model, normaliser, test: Split, device, batch_size: int) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics and class probabilities (N, 7) of a classifier on a test split."""
    proba = predict_proba(model, normaliser, test.x, device=device, batch_size=batch_size)
    metrics = classification_metrics(test.y, proba)
    if metrics["n_test"] != len(test):
        raise RuntimeError(f"scored {metrics['n_test']} of {len(test)} test samples")
    return metrics, proba


def write_run(metrics_file: str | Path, record: Mapping[str, Any], test: Split, proba: np.ndarray) -> None:
    """The outputs of one run: its test predictions (predictions.npz: ``proba`` (N, 7) float16,
    ``y`` (N,) int8, ``ids`` of the test rows) beside its metrics.json. Every job writes through
    here, so the aggregation can resample test records and seeds for every run."""
    metrics_file = str(metrics_file)
    with atomic_path(predictions_path(metrics_file)) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, proba=np.asarray(proba, dtype=np.float16), y=np.asarray(test.y, dtype=np.int8),
                                ids=np.asarray(test.ids, dtype=str))
    write_json(metrics_file, record)


def write_manifest(path: str | Path, metrics_files: Sequence[str | Path]) -> None:
    """The manifest of a (dataset, setting, generator): every run's metrics file, in grid order."""
    write_json(path, {"runs": [str(f) for f in metrics_files]})


def read_manifest(path: str | Path) -> list[str]:
    return list(read_json(path)["runs"])


def load_predictions(metrics_file: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(y (N,), proba (N, 7) float32, ids (N,)) of the run whose metrics file is ``metrics_file``."""
    with np.load(predictions_path(str(metrics_file))) as z:
        return z["y"].astype(np.int64), z["proba"].astype(np.float32), z["ids"]


def _training_summary(result: TrainResult) -> dict[str, Any]:
    return {
        "best_epoch": result.best_epoch, "stopped_epoch": result.stopped_epoch,
        "best_val_loss": result.best_val_loss, "train_seconds": round(result.seconds, 3),
        "history": result.history,
    }


def _log_metrics(logger, what: str, metrics: Mapping[str, Any]) -> None:
    if logger:
        logger.info("%s: n_test %d accuracy %.4f macro_f1 %.4f macro_auroc %s", what, metrics["n_test"],
                    metrics["accuracy"], metrics["macro_f1"], metrics["macro_auroc"])


def run_training_job(
    spec: JobSpec, settings: Sequence[str], real: Source | None, synthetic: Source | None,
    device: torch.device | str = "cpu", logger: logging.Logger | None = None,
    stack: int = 1, resume_dir: str | Path | None = None, mem_mb: int | None = None,
) -> dict[str, dict[str, Any]]:
    """Train every (fraction, seed) once for ``settings`` that share training data, test each on the
    settings' test sets, write each run's metrics and predictions (write_run) as soon as it has
    finished. Runs train ``stack`` at a time as one stacked model (same results as one by one,
    docs/classifier.md), lowered to fit ``mem_mb``; with ``resume_dir`` finished runs are stored
    there and a rerun trains only the others. Returns the checkpoints (key 'fraction/seed') for
    later evaluation on other test sets (TrRTeS, cross-dataset)."""
    checkpoints = {}
    store = RunStore(resume_dir, {"job": spec.__dict__, "settings": list(settings)})
    sources = [src for src in (real, synthetic) if src is not None]
    rows = sum(len(src["train"]) + len(src["val"]) for src in sources)
    stack = stack_for_memory(stack, mem_mb, rows, sources[0]["train"].x.shape[1:], logger, device)
    grid = [(fraction, seed) for fraction in spec.fractions for seed in spec.seeds]  # one fraction per stack where K allows
    for chunk in _chunks(grid, stack):
        items, runs_of = [], {}
        for fraction, seed in chunk:
            runs = {}
            for setting in settings:
                runs[setting] = assemble_run(
                    setting, real, synthetic, fraction, real_rng=real_fraction_rng(spec, seed),
                    synthetic_rng=synthetic_fraction_rng(spec, seed), arm_rng=arm_rng(spec, settings[0], fraction, seed),
                )
                check_no_leakage(runs[setting], metrics_path(spec.dataset, setting, spec.generator, fraction, seed))
            data = runs[settings[0]]
            for setting in settings[1:]:
                if not (np.array_equal(runs[setting].train_ids, data.train_ids) and np.array_equal(runs[setting].val_ids, data.val_ids)):
                    raise ValueError(f"settings {list(settings)} do not share their training data")
            if logger:
                logger.info("run %s %s fraction %s seed %d: %d train, %d val", "+".join(settings), spec.generator,
                            fraction_label(fraction), seed, sum(map(len, data.train)), sum(map(len, data.val)))
            key = f"{fraction_label(fraction)}/{seed}"
            items.append((key, data, train_seed(spec, fraction, seed)))
            runs_of[key] = (fraction, seed, runs)

        def done(key: str, state: dict[str, Any], summary: dict[str, Any]) -> None:
            fraction, seed, runs = runs_of[key]
            model, normaliser = model_from_checkpoint(state, device)
            for setting in settings:
                test_name, test = next(iter(runs[setting].tests.items()))
                metrics, proba = _test(model, normaliser, test, device, spec.training["eval_batch_size"])
                _log_metrics(logger, f"{setting} {key} test {test_name}", metrics)
                record = _record(spec, setting, fraction, seed, runs[setting],
                                 {"test_set": test_name, "test_dataset": spec.dataset, **summary, **metrics})
                write_run(metrics_path(spec.dataset, setting, spec.generator, fraction, seed), record, test, proba)
            checkpoints[key] = state

        _train_runs(spec, items, done, store, logger, device)
    for setting in settings:
        write_manifest(manifest_path(spec.dataset, setting, spec.generator),
                       [metrics_path(spec.dataset, setting, spec.generator, f, s) for f, s in grid])
    store.clear()
    return {key: checkpoints[key] for key in (f"{fraction_label(f)}/{s}" for f, s in grid)}


def evaluate_saved_job(
    spec: JobSpec, checkpoints: Mapping[str, dict[str, Any]], setting: str, test: Split, test_set: str,
    test_dataset: str, out_path_of, manifest: str | Path, device: torch.device | str = "cpu",
    logger: logging.Logger | None = None,
) -> None:
    """Test saved classifiers (one per fraction and seed) on another test set: TrRTeS (a bank's
    test split) or cross-dataset (one source dataset's real test split). ``out_path_of(fraction,
    seed)`` names each metrics file, ``manifest`` the list of them."""
    written = []
    for fraction in spec.fractions:
        for seed in spec.seeds:
            state = checkpoints[f"{fraction_label(fraction)}/{seed}"]
            model, normaliser = model_from_checkpoint(state, device)
            metrics, proba = _test(model, normaliser, test, device, spec.training["eval_batch_size"])
            _log_metrics(logger, f"{setting} fraction {fraction_label(fraction)} seed {seed} test {test_set} of {test_dataset}", metrics)
            record = _record(spec, setting, fraction, seed, None, {
                "test_set": test_set, "test_dataset": test_dataset, "best_epoch": state["best_epoch"],
                "best_val_loss": state["best_val_loss"], **metrics,
            })
            written.append(out_path_of(fraction, seed))
            write_run(written[-1], record, test, proba)
    write_manifest(manifest, written)


def run_transfer_job(
    spec: JobSpec, real: Source, synthetic: Source, pretrain_runs: int, trainables: Sequence[str],
    normaliser: str = "refit", device: torch.device | str = "cpu", logger: logging.Logger | None = None,
    stack: int = 1, resume_dir: str | Path | None = None, mem_mb: int | None = None,
) -> dict[str, Any]:
    """Transfer learning (the paper's experiment 2): pre-train on the whole synthetic training split
    (``pretrain_runs`` seeds; the run with the lowest *synthetic validation* loss is kept, never a
    test-set choice), then fine-tune on each fraction of the real training data for every seed,
    once per arm of ``trainables``: the convolutions frozen (``'head'``, setting transfer-head) or
    not (``'all'``, transfer-all), from the same pre-trained network. ``normaliser='refit'``
    z-scores the fine-tuning data with its own statistics, ``'pretrained'`` keeps the synthetic
    ones. ``stack``, ``resume_dir`` and ``mem_mb`` as in run_training_job (pre-training runs and
    fine-tunes are both stored and resumed). Returns the pre-trained checkpoint."""
    if normaliser not in ("refit", "pretrained"):
        raise ValueError(f"transfer normaliser must be 'refit' or 'pretrained', not {normaliser!r}")
    settings = [transfer_setting(t) for t in trainables]
    store = RunStore(resume_dir, {"job": spec.__dict__, "transfer": [pretrain_runs, list(trainables), normaliser]})
    rows = len(synthetic["train"]) + len(synthetic["val"]) + len(real["train"]) + len(real["val"])
    stack = stack_for_memory(stack, mem_mb, rows, real["train"].x.shape[1:], logger, device)
    pretrained_runs: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    for chunk in _chunks(list(range(pretrain_runs)), stack):
        items = []
        for run in chunk:
            data = assemble_run("TrSTeR", real, synthetic, 1.0, synthetic_rng=synthetic_fraction_rng(spec, run))
            if logger:
                logger.info("pre-training run %d on %d synthetic signals", run, sum(map(len, data.train)))
            items.append((f"pretrain/{run}", data, derive_seed(spec.master_seed, "pretrain", spec.dataset, spec.generator, run)))
        _train_runs(spec, items, lambda key, state, summary: pretrained_runs.__setitem__(key, (state, summary)), store, logger, device)
    best_key = min((f"pretrain/{run}" for run in range(pretrain_runs)), key=lambda k: pretrained_runs[k][0]["best_val_loss"])
    pretrained, best_val_loss = pretrained_runs[best_key][0], pretrained_runs[best_key][0]["best_val_loss"]
    if logger:
        logger.info("pre-training: %s kept, best val loss %.5f", best_key, best_val_loss)
    init, pretrained_norm = model_from_checkpoint(pretrained, device)
    for trainable, setting in zip(trainables, settings):
        grid = [(fraction, seed) for fraction in spec.fractions for seed in spec.seeds]
        for chunk in _chunks(grid, stack):
            items, runs_of = [], {}
            for fraction, seed in chunk:
                data = assemble_run(setting, real, None, fraction, real_rng=real_fraction_rng(spec, seed))
                check_no_leakage(data, metrics_path(spec.dataset, setting, spec.generator, fraction, seed))
                if logger:
                    logger.info("fine-tune (%s) fraction %s seed %d: %d real train", trainable, fraction_label(fraction), seed, len(data.train[0]))
                key = f"{setting}/{fraction_label(fraction)}/{seed}"
                items.append((key, data, train_seed(spec, fraction, seed)))
                runs_of[key] = (fraction, seed, data)

            def done(key: str, state: dict[str, Any], summary: dict[str, Any]) -> None:
                fraction, seed, data = runs_of[key]
                model, norm = model_from_checkpoint(state, device)
                metrics, proba = _test(model, norm, data.tests["real"], device, spec.training["eval_batch_size"])
                _log_metrics(logger, f"{key} test real", metrics)
                record = _record(spec, key.split("/")[0], fraction, seed, data, {
                    "test_set": "real", "test_dataset": spec.dataset, "normaliser": normaliser,
                    "pretrained_val_loss": best_val_loss, **summary, **metrics,
                })
                write_run(metrics_path(spec.dataset, key.split("/")[0], spec.generator, fraction, seed), record, data.tests["real"], proba)

            _train_runs(spec, items, done, store, logger, device, trainable=trainable, init=init,
                        normaliser=pretrained_norm if normaliser == "pretrained" else None)
        write_manifest(manifest_path(spec.dataset, setting, spec.generator),
                       [metrics_path(spec.dataset, setting, spec.generator, f, s) for f in spec.fractions for s in spec.seeds])
    store.clear()
    return pretrained


def save_checkpoints(path: str | Path, checkpoints: Mapping[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(dict(checkpoints), tmp)


def load_checkpoints(path: str | Path) -> dict[str, Any]:
    return torch.load(path, map_location="cpu", weights_only=True)

"""The classifier's hyper-parameter search (synecg.tuning): seeded, parallel-safe, validation only."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import asdict

import numpy as np
import optuna
import pytest
import yaml

from conftest import REPO_ROOT
from experiment_fixtures import class_signals, labels
from synecg.experiments.settings import job_preset, resolve_tuned_preset
from synecg.tuning import (
    SearchSpaceError,
    StudySpec,
    best_preset,
    check_space,
    create_study,
    run_worker,
    storage_location,
    trials_table,
    worker_share,
)

LENGTH = 100
SPACE = {
    "blocks": {"low": 1, "high": 2}, "kernels": {"choices": [4, 8]}, "kernel_size": {"choices": [3, 5]},
    "dilation": {"choices": [1, 5]}, "fc_layers": {"low": 1, "high": 2}, "fc_units": {"low": 4, "high": 32, "log": True},
    "dropout": {"low": 0.0, "high": 0.5}, "shared_conv": {"choices": [True]},
    "lr": {"low": 1e-4, "high": 1e-2, "log": True}, "weight_decay": {"low": 1e-4, "high": 1e-1, "log": True},
}
TRAINING = {"batch_size": 16, "max_epochs": 3, "patience": 2, "min_delta": 1e-5, "class_weights": False,
            "eval_batch_size": 64, "bf16": False}


def _splits(seed=0):
    rng = np.random.default_rng(seed)
    y_train = labels({"SBRAD": 6, "SR": 8, "AFIB": 6, "STACH": 6})
    y_val = labels({"SBRAD": 3, "SR": 3, "AFIB": 3, "STACH": 3})
    return class_signals(y_train, LENGTH, rng), y_train, class_signals(y_val, LENGTH, rng), y_val


def _spec(tmp_path, n_trials=3, workers=1, storage="sqlite", pruner="median"):
    return StudySpec(name="test-ptbxl", storage=storage_location(storage, tmp_path), dataset="ptbxl", seed=11,
                     n_trials=n_trials, workers=workers, metric="macro_f1", pruner=pruner, startup_trials=2,
                     space=SPACE, training=TRAINING)


def test_same_seed_gives_the_same_trials_with_one_worker(tmp_path, one_torch_thread):
    data = _splits()
    tables = []
    for run in ("a", "b"):
        spec = _spec(tmp_path / run)
        study = create_study(spec)
        run_worker(spec, 0, *data)
        tables.append(trials_table(study).drop(columns=["seconds"]))
    assert len(tables[0]) == 3
    assert tables[0].equals(tables[1]), (tables[0], tables[1])
    # and the trials explore: not one preset repeated
    assert tables[0][["lr", "fc_units"]].drop_duplicates().shape[0] == 3


def test_best_yaml_holds_the_best_completed_trial_and_its_provenance(tmp_path, one_torch_thread):
    spec = _spec(tmp_path, n_trials=3, storage="journal", pruner="none")
    study = create_study(spec)
    run_worker(spec, 0, *_splits())
    best = best_preset(study, spec)
    table = trials_table(study)
    assert best["validation"]["value"] == pytest.approx(table["value"].max())
    assert set(best["preset"]) == set(SPACE)
    prov = best["provenance"]
    assert prov["study"] == "test-ptbxl" and prov["seed"] == 11 and prov["n_trials"] == 3
    assert prov["trials"]["complete"] == 3 and prov["storage"].startswith("journal:")
    assert prov["space"] == SPACE
    # best.yaml round-trips through YAML and feeds a classifier job's params at run time
    path = tmp_path / "results/tuning/ptbxl/best.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(best))
    config = {"classifier": {"preset_family": "tuned", "presets": {"p": {"lr": 1.0}}, "dataset_preset": {"ptbxl": "p"},
                             "batch_size": 32, "max_epochs": 5, "patience": 2, "min_delta": 0.0, "weight_decay": 0.01,
                             "class_weights": False, "eval_batch_size": 64}}
    job = {"dataset": "ptbxl", **job_preset(config, "ptbxl")}
    assert job["model"] == {"preset": "tuned", "source": "results/tuning/ptbxl/best.yaml"}
    job["model"]["source"] = str(path)
    resolved = resolve_tuned_preset(job)
    assert resolved["model"]["blocks"] == best["preset"]["blocks"]
    assert resolved["training"]["lr"] == best["preset"]["lr"]
    assert resolved["training"]["weight_decay"] == best["preset"]["weight_decay"]


WORKER = """
import sys, torch
sys.path.insert(0, {tests!r})
torch.set_num_threads(1)
from test_tuning import _splits
from synecg.tuning import StudySpec, run_worker
spec = StudySpec(**{spec!r})
print(run_worker(spec, int(sys.argv[1]), *_splits()).to_json())
"""


def test_two_worker_processes_share_one_sqlite_study_without_losing_or_repeating_trials(tmp_path):
    spec = _spec(tmp_path, n_trials=4, workers=2, pruner="none")
    create_study(spec)
    code = WORKER.format(tests=str(REPO_ROOT / "tests"), spec=asdict(spec))
    env = {"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"}
    procs = [subprocess.Popen([sys.executable, "-c", code, str(k)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for k in range(2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-3000:]
    study = optuna.load_study(study_name=spec.name, storage=spec.storage)
    table = trials_table(study)
    assert len(table) == 4 and set(table["state"]) == {"COMPLETE"}
    assert sorted(table["number"]) == list(range(4))
    assert table.groupby("worker").size().to_dict() == {0: 2, 1: 2}
    # each worker drew its own proposals: no preset was tried twice
    assert not table[["lr", "weight_decay", "dropout"]].duplicated().any()


def test_a_rerun_worker_resumes_its_share_instead_of_adding_trials(tmp_path, one_torch_thread):
    spec = _spec(tmp_path, n_trials=2, pruner="none")
    study = create_study(spec)
    run_worker(spec, 0, *_splits())
    run_worker(spec, 0, *_splits())
    assert len(study.trials) == 2


def test_worker_shares_add_up_to_the_trial_budget():
    for n, w in [(100, 1), (100, 3), (5, 2), (2, 4)]:
        assert sum(worker_share(n, w, k) for k in range(w)) == n


def test_space_that_pools_the_signal_to_nothing_is_refused_with_its_key():
    with pytest.raises(SearchSpaceError, match="tuning.space.blocks"):
        check_space({**SPACE, "blocks": {"low": 1, "high": 7}}, 100)
    with pytest.raises(SearchSpaceError, match="missing.*weight_decay"):
        check_space({k: v for k, v in SPACE.items() if k != "weight_decay"}, 100)

"""Per-run resume of a classifier job: SIGKILLed mid-way and re-run, it trains only the runs not
finished before, and every run's metrics equal those of an uninterrupted job."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from experiment_fixtures import DEFAULT_SPLITS, write_dataset

JOB = """
import json, sys, time
import synecg.experiments.runs as runs
from synecg.experiments.runs import JobSpec, load_real, run_training_job
trained = open("trained.txt", "a")
real_train_members, real_write_run = runs.train_members, runs.write_run
def train_members(members, *a, **k):  # record which runs this process trains
    trained.write("".join(m.key + chr(10) for m in members)); trained.flush()
    return real_train_members(members, *a, **k)
def write_run(*a, **k):  # a slow job: time to be killed between two finished runs
    real_write_run(*a, **k); time.sleep(float(sys.argv[1]))
runs.train_members, runs.write_run = train_members, write_run
spec = JobSpec(**json.load(open("spec.json")))
run_training_job(spec, ["TrRTeR"], load_real("data/ptbxl", "ptbxl"), None, stack=2, resume_dir="results/.resume/job")
"""
SPEC = {"dataset": "ptbxl", "generator": "real", "fractions": [0.5, 1.0], "seeds": [0, 1, 2], "master_seed": 17,
        "model": {"preset": "t", "blocks": 2, "kernels": 4, "kernel_size": 5, "dilation": 5, "fc_layers": 1,
                  "fc_units": 16, "dropout": 0.25, "shared_conv": True, "lr": 3e-3},
        "training": {"lr": 3e-3, "batch_size": 32, "max_epochs": 4, "patience": 2, "min_delta": 1e-5,
                     "weight_decay": 0.01, "class_weights": False, "eval_batch_size": 64, "bf16": False}}


def _workdir(root: Path) -> Path:
    write_dataset(root / "data" / "ptbxl", "ptbxl", DEFAULT_SPLITS, 200, 0)
    (root / "spec.json").write_text(json.dumps(SPEC))
    (root / "job.py").write_text(JOB)
    return root


def _start(workdir: Path, pause: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "job.py", str(pause)], cwd=workdir, env=env)


def _metrics(workdir: Path) -> dict[str, dict]:
    out = {}
    for path in sorted((workdir / "results").rglob("metrics.json")):
        record = json.loads(path.read_text())
        record.pop("train_seconds")
        out[str(path.relative_to(workdir))] = record
    return out


def test_killed_classifier_job_retrains_only_unfinished_runs_with_identical_metrics(tmp_path):
    killed = _workdir(tmp_path / "killed")
    proc = _start(killed, pause=3.0)
    deadline = time.time() + 120
    while not list((killed / "results").rglob("metrics.json")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = (killed / "trained.txt").read_text().split()
    stored = sorted(p.name for p in (killed / "results" / ".resume").rglob("*.pt"))
    assert 1 <= len(stored) < 6, "the job was to be killed between its first and its last run"
    for path in (killed / "results").rglob("metrics.json"):  # Snakemake deletes a failed job's outputs
        path.unlink()
    assert _start(killed, pause=0.0).wait(timeout=300) == 0
    second = (killed / "trained.txt").read_text().split()[len(first):]
    finished_first = {name[: -len(".pt")].replace("__", "/") for name in stored}
    assert finished_first.isdisjoint(second)  # finished runs were not trained again ...
    assert sorted(finished_first | set(second)) == sorted(f"{f}/{s}" for f in ("0.50", "1.00") for s in (0, 1, 2))
    assert not list((killed / "results" / ".resume").rglob("*.pt"))  # ... and the store is cleared on success

    whole = _workdir(tmp_path / "whole")
    assert _start(whole, pause=0.0).wait(timeout=300) == 0
    resumed, uninterrupted = _metrics(killed), _metrics(whole)
    assert len(uninterrupted) == 6 and resumed.keys() == uninterrupted.keys()
    for name, record in uninterrupted.items():
        # A run retrained in a smaller stack than before rounds its losses differently (~1e-7):
        # the training record agrees to 1e-5, the test metrics exactly.
        again = resumed[name]
        assert again.pop("best_val_loss") == pytest.approx(record.pop("best_val_loss"), abs=1e-5)
        for a, b in zip(again.pop("history"), record.pop("history")):
            assert a == pytest.approx(b, abs=1e-5)
        assert again == record

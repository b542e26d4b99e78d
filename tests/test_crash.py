"""A generator training job killed half way resumes from its last checkpoint when the workflow is
re-run, and ends with exactly the weights of an uninterrupted run (CPU).

The kill is SIGKILL to the whole Snakemake process group (Snakemake and the training script), as
when a node dies or SLURM pre-empts a job: nothing gets to clean up. The re-run is what a user
types: ``snakemake --unlock``, then the same command again.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import REPO_ROOT, TINY_CONFIG, copy_study, run_snakemake

pytestmark = pytest.mark.workflow

DATASET, GENERATOR = "ptbxl", "diffwave"
MODEL = f"results/generators/{DATASET}/{GENERATOR}/model.pt"
CHECKPOINTS = f"results/generators/{DATASET}/{GENERATOR}/checkpoints"
LOG = f"logs/train_generator/{DATASET}/{GENERATOR}.log"
STEPS, EVERY = 40, 10  # the kill lands between two checkpoints (tiny diffwave: ~25 steps/s on 2 idle cores)
CRASH_SETTINGS = {
    "generators": {
        "training": {"checkpoint_every": EVERY, "log_every": 5, "val_every": 0},
        GENERATOR: {"steps": STEPS},
    }
}


def has_rule(name: str) -> bool:
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "Snakefile"), "--list-rules",
         "--configfile", str(REPO_ROOT / "config" / "config.yaml"), str(TINY_CONFIG)],
        cwd=REPO_ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")},
    )
    return name in proc.stdout.split()


@pytest.fixture(scope="module")
def crash_configs(tmp_path_factory) -> tuple[Path, ...]:
    if not has_rule("train_generator"):
        pytest.skip("the workflow has no train_generator rule (generator stage not merged)")
    path = tmp_path_factory.mktemp("crash") / "crash.yaml"
    path.write_text(yaml.safe_dump(CRASH_SETTINGS))
    return (TINY_CONFIG, path)


@pytest.fixture(scope="module")
def prepared_data(tmp_path_factory, crash_configs) -> Path:
    """A workdir holding only the prepared dataset that the training job reads (its own small DAG,
    so this module does not wait for the shared tiny study)."""
    workdir = tmp_path_factory.mktemp("prepared")
    run_snakemake(workdir, "--cores", "2", f"results/data/{DATASET}/records.csv", configfiles=crash_configs)
    return workdir


def fresh_training_dir(prepared: Path, target: Path) -> Path:
    """A copy of the prepared workdir (with its Snakemake metadata): the generator is not trained yet."""
    workdir = copy_study(prepared, target)
    assert not (workdir / MODEL).exists() and not (workdir / LOG).exists()
    return workdir


def checkpoint_steps(workdir: Path) -> list[int]:
    return sorted(int(m.group(1)) for p in (workdir / CHECKPOINTS).glob("step_*.pt") if (m := re.match(r"step_(\d+)\.pt$", p.name)))


def start_training(workdir: Path, configfiles: tuple[Path, ...]) -> subprocess.Popen:
    files = [REPO_ROOT / "config" / "config.yaml", *configfiles]
    cmd = [sys.executable, "-m", "snakemake", "-s", str(REPO_ROOT / "Snakefile"), "--directory", str(workdir),
           "--configfile", *map(str, files), "--cores", "2", MODEL]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    return subprocess.Popen(cmd, cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def kill_after_first_checkpoint(proc: subprocess.Popen, workdir: Path, timeout: float = 240) -> list[int]:
    deadline = time.monotonic() + timeout
    while not checkpoint_steps(workdir):
        assert proc.poll() is None, "training ended before writing its first checkpoint"
        assert time.monotonic() < deadline, "no checkpoint within the timeout"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # Snakemake and the training script, no clean-up
    proc.wait(30)
    return checkpoint_steps(workdir)


def load_model(path: Path) -> dict:
    import torch

    return torch.load(path, map_location="cpu", weights_only=True)  # the payload holds tensors and plain types only


def assert_same_weights(a: dict, b: dict) -> None:
    import torch

    for key in ("state_dict", "ema_state_dict"):
        assert a[key].keys() == b[key].keys()
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), f"{key}[{name}] differs from the uninterrupted run"
    assert a["final_step"] == b["final_step"] == STEPS


def test_killed_training_resumes_from_its_last_checkpoint_with_identical_weights(prepared_data, tmp_path, crash_configs):
    crashed = fresh_training_dir(prepared_data, tmp_path / "crashed")
    proc = start_training(crashed, crash_configs)
    left = kill_after_first_checkpoint(proc, crashed)

    # Killed half way: checkpoints exist, the model does not (never a half-written model.pt).
    assert left and max(left) < STEPS
    assert not (crashed / MODEL).exists()
    assert "starting at step 0" in (crashed / LOG).read_text()

    run_snakemake(crashed, "--unlock", configfiles=crash_configs)
    run_snakemake(crashed, "--cores", "2", MODEL, configfiles=crash_configs)  # (a flag ends --configfile's list)
    resumed = re.findall(r"resumed from checkpoint at step (\d+)", (crashed / LOG).read_text())
    assert resumed == [str(max(left))], f"the re-run must resume from step {max(left)}, log says {resumed}"

    uninterrupted = fresh_training_dir(prepared_data, tmp_path / "uninterrupted")
    run_snakemake(uninterrupted, "--cores", "2", MODEL, configfiles=crash_configs)
    assert "resumed" not in (uninterrupted / LOG).read_text()
    assert_same_weights(load_model(crashed / MODEL), load_model(uninterrupted / MODEL))

"""TimeVQVAE training through its entry points: a run killed mid-way (SIGKILL) and started again
ends with exactly the weights of an uninterrupted run, for stage 1 and stage 2, on CPU."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from synecg.generators.timevqvae.config import preset

REPO = Path(__file__).resolve().parents[1]

# Runs one stage in a child process: python - <stage> <workdir>.
CHILD = r"""
import sys, numpy as np, torch
sys.path.insert(0, sys.argv[3])
from test_timevqvae_resume import run_stage
torch.set_num_threads(1)
run_stage(sys.argv[1], sys.argv[2])
"""


def _data():
    rng = np.random.default_rng(0)
    t = np.arange(200) / 100
    y = np.arange(24) % 2
    f = np.where(y == 0, 2.0, 9.0)
    x = np.sin(2 * np.pi * f[:, None, None] * t) * np.ones((1, 12, 1)) + 0.1 * rng.standard_normal((24, 12, 200))
    return x.astype(np.float32), y


def _cfg():
    cfg = preset("tiny")
    return (replace(cfg.stage1, steps=16, checkpoint_every=2, log_every=4, batch_size=8),
            replace(cfg.stage2, steps=40, checkpoint_every=2, log_every=8, batch_size=8))


def run_stage(stage: str, workdir: str) -> dict:
    """Train one stage in ``workdir`` (checkpoints in workdir/<stage>); stage 2 needs stage1.pt there."""
    from synecg.generators.timevqvae.train import build_stage1, tokenize, train_stage1, train_stage2

    x, y = _data()
    c1, c2 = _cfg()
    work = Path(workdir)
    cpu = torch.device("cpu")
    if stage == "stage1":
        payload = train_stage1(x, x[:4], c1, seed=3, dataset="toy", checkpoint_dir=work / "stage1", device=cpu)
        torch.save(payload, work / "stage1.pt")
        return payload
    s1 = torch.load(work / "stage1.pt", weights_only=True)
    lf, hf = tokenize(build_stage1(s1), x, cpu)
    tokens = {"train": {"lf": lf, "hf": hf, "y": torch.from_numpy(y)},
              "val": {"lf": lf[:4], "hf": hf[:4], "y": torch.from_numpy(y[:4])}, "stage1_sha256": "fixture"}
    return train_stage2(tokens, s1, c2, seed=3, dataset="toy", checkpoint_dir=work / "stage2", device=cpu)


def _kill_after_checkpoint(stage: str, workdir: Path, step: int) -> None:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    proc = subprocess.Popen([sys.executable, "-c", CHILD, stage, str(workdir), str(REPO / "tests")], env=env,
                            stderr=subprocess.PIPE)
    target = workdir / stage / f"step_{step:09d}.pt"
    deadline = time.monotonic() + 120
    while not target.exists():
        assert proc.poll() is None, f"child ended before checkpoint {step}: {proc.stderr.read().decode()[-2000:]}"
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed: make it longer"


def _same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


def test_killed_runs_resume_to_the_weights_of_an_uninterrupted_run(tmp_path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        ref, run = tmp_path / "ref", tmp_path / "run"
        ref.mkdir(), run.mkdir()
        ref1 = run_stage("stage1", str(ref))
        _kill_after_checkpoint("stage1", run, 4)
        resumed1 = run_stage("stage1", str(run))
        assert resumed1["steps"] == 16 and resumed1["resumed_from"] >= 4 and ref1["resumed_from"] == 0
        _same_weights(ref1["state_dict"], resumed1["state_dict"])

        ref2 = run_stage("stage2", str(ref))
        _kill_after_checkpoint("stage2", run, 4)
        resumed2 = run_stage("stage2", str(run))
        assert resumed2["resumed_from"] >= 4
        _same_weights(ref2["state_dict"], resumed2["state_dict"])
    finally:
        torch.set_num_threads(threads)

"""GPU slot allocation for local multi-GPU runs (synecg.runtime.claim_gpu_slot / select_device).

Snakemake sets no CUDA_VISIBLE_DEVICES when it runs jobs locally, so each GPU job claims a device
through a lock file. These tests run the allocator in real separate processes (no GPU needed: the
allocator only sees device tokens).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synecg import runtime

REPO_ROOT = Path(__file__).resolve().parents[1]

CLAIM = """
import sys
from pathlib import Path
from synecg.runtime import claim_gpu_slot
index = claim_gpu_slot(sys.argv[2].split(","), Path(sys.argv[1]), poll_seconds=0.1)
print(index, flush=True)
sys.stdin.read()  # hold the GPU until the parent closes stdin
"""


def start_claim(lock_dir: Path, devices: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    return subprocess.Popen(
        [sys.executable, "-c", CLAIM, str(lock_dir), devices],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )


def claimed(proc: subprocess.Popen) -> int:
    return int(proc.stdout.readline())


def select_ready(proc: subprocess.Popen) -> bool:
    import select

    return bool(select.select([proc.stdout], [], [], 0)[0])


def test_concurrent_jobs_get_different_gpus_and_a_third_waits_for_a_free_one(tmp_path):
    first, second = start_claim(tmp_path, "0,1"), start_claim(tmp_path, "0,1")
    assert sorted([claimed(first), claimed(second)]) == [0, 1]

    third = start_claim(tmp_path, "0,1")
    time.sleep(1.0)
    assert third.poll() is None and not select_ready(third), "third job must wait: both GPUs are held"

    first.stdin.close()  # first job ends and releases its GPU
    first.wait(10)
    assert claimed(third) in (0, 1)
    for proc in (second, third):
        proc.stdin.close()
        proc.wait(10)


def test_a_killed_job_releases_its_gpu(tmp_path):
    holder = start_claim(tmp_path, "7")
    assert claimed(holder) == 0
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    follower = start_claim(tmp_path, "7")
    assert claimed(follower) == 0
    follower.stdin.close()
    follower.wait(10)


def test_a_process_asking_twice_keeps_its_gpu(tmp_path):
    first = runtime.claim_gpu_slot(["0", "1"], tmp_path)
    assert runtime.claim_gpu_slot(["0", "1"], tmp_path) == first
    other = start_claim(tmp_path, "0,1")  # another process gets the other GPU
    assert claimed(other) == 1 - first
    other.stdin.close()
    other.wait(10)


def test_visible_gpu_tokens_follow_cuda_visible_devices(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,5")
    assert runtime.visible_gpu_tokens(2) == ["2", "5"]
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    assert runtime.visible_gpu_tokens(3) == ["0", "1", "2"]


def test_gpu_locks_are_per_slurm_job_and_shared_locally(monkeypatch, tmp_path):
    monkeypatch.delenv("SYNECG_GPU_LOCK_DIR", raising=False)
    monkeypatch.setenv("SLURM_JOB_ID", "123")
    assert runtime.gpu_lock_dir().name == "slurm-123"
    monkeypatch.delenv("SLURM_JOB_ID")
    assert runtime.gpu_lock_dir().name == "local"
    monkeypatch.setenv("SYNECG_GPU_LOCK_DIR", str(tmp_path))
    assert runtime.gpu_lock_dir() == tmp_path


def test_select_device_on_a_machine_without_cuda():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    assert runtime.select_device("auto").type == "cpu"
    assert runtime.select_device("cpu").type == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA device"):
        runtime.select_device("cuda")

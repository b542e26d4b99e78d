"""What every rule script needs at start-up: a logger writing to the rule's log file, the device."""

from __future__ import annotations

import fcntl
import logging
import os
import sys
import tempfile
import time
from pathlib import Path


def rule_logger(log_path: str | Path | None, name: str = "synecg") -> logging.Logger:
    """A logger that writes timestamped lines to the rule's ``log:`` file (and stderr without one).

    Uncaught exceptions are logged too, so a failed job's log says why.
    """
    logger = logging.getLogger(name)
    logger.setLevel(logging.INFO)
    logger.handlers.clear()
    handler: logging.Handler
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, mode="a")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    logger.addHandler(handler)
    logger.propagate = False

    def _excepthook(exc_type, exc, tb):
        logger.error("failed", exc_info=(exc_type, exc, tb))
        sys.__excepthook__(exc_type, exc, tb)

    sys.excepthook = _excepthook
    return logger


def set_threads(n: int) -> None:
    """Limit torch and BLAS to the cores Snakemake gave the job."""
    n = max(1, int(n))
    os.environ.setdefault("OMP_NUM_THREADS", str(n))
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:  # data-only environments have no torch
        pass


def gpu_lock_dir() -> Path:
    """Where GPU slot locks live: one folder per SLURM job (its devices are its own), else one per
    machine and user, shared by every Snakemake run on this workstation. ``SYNECG_GPU_LOCK_DIR`` wins."""
    if os.environ.get("SYNECG_GPU_LOCK_DIR"):
        return Path(os.environ["SYNECG_GPU_LOCK_DIR"])
    base = Path(tempfile.gettempdir()) / f"synecg-gpu-locks-{os.getuid()}"
    job = os.environ.get("SLURM_JOB_ID")
    return base / (f"slurm-{job}" if job else "local")


def claim_gpu_slot(devices: list[str], lock_dir: Path, poll_seconds: float = 2.0, logger=None) -> int:
    """Claim one of ``devices`` (their CUDA_VISIBLE_DEVICES tokens) for this process; returns its index.

    Each device has a lock file; the first one not locked by another process is taken (``flock``,
    held until this process exits, also when it is killed, so a crashed job never leaks a GPU).
    When all are taken, wait: local Snakemake runs with ``--resources gpu=N`` never start more GPU
    jobs than devices, so this only waits when runs overlap (e.g. two Snakemake runs at once).
    A process that asks again gets the device it already holds.
    """
    key = (str(lock_dir), tuple(devices))
    if key in _CLAIMED:
        return _CLAIMED[key]
    lock_dir.mkdir(parents=True, exist_ok=True)
    waited = 0.0
    while True:
        for index, token in enumerate(devices):
            handle = open(lock_dir / f"gpu-{token}.lock", "a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            _HELD_GPU_LOCKS.append(handle)
            _CLAIMED[key] = index
            return index
        if logger is not None and waited % 60 < poll_seconds:
            logger.info("all %d GPUs (%s) are in use by other jobs; waiting", len(devices), ",".join(devices))
        time.sleep(poll_seconds)
        waited += poll_seconds


# Open lock files of the GPUs this process claimed (closing them would release the GPU), and the
# device index claimed per (lock folder, device list).
_HELD_GPU_LOCKS: list = []
_CLAIMED: dict[tuple[str, tuple[str, ...]], int] = {}


def visible_gpu_tokens(count: int) -> list[str]:
    """The CUDA_VISIBLE_DEVICES entries (indices or UUIDs) of the ``count`` GPUs torch sees."""
    listed = [t.strip() for t in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if t.strip()]
    return listed[:count] if len(listed) >= count else [str(i) for i in range(count)]


def select_device(preference: str = "auto", logger=None):
    """The torch device for this job: ``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (a GPU if any, else CPU).

    ``auto`` and ``cuda`` pick one GPU that no other job holds (see ``claim_gpu_slot``): SLURM gives
    each job its own devices, but local Snakemake sets no CUDA_VISIBLE_DEVICES, so without this
    every job on a multi-GPU workstation would land on GPU 0. ``cuda:N`` takes device N as asked.
    Waits and the chosen device go to ``logger`` (default: the rule's log, see ``rule_logger``).
    """
    logger = logger or logging.getLogger("synecg")
    try:
        import torch
    except ImportError as exc:  # a rule in the data environment asked for a device
        raise RuntimeError("select_device needs torch: run this rule in envs/torch.yaml or envs/eval.yaml") from exc

    device = torch.device("cuda" if preference == "auto" else preference)
    if device.type == "cpu":
        return device
    if not torch.cuda.is_available():
        if preference == "auto":
            return torch.device("cpu")
        raise RuntimeError(f"config asks for device {preference!r} but no CUDA device is visible")
    if device.index is None:
        tokens = visible_gpu_tokens(torch.cuda.device_count())
        device = torch.device("cuda", claim_gpu_slot(tokens, gpu_lock_dir(), logger=logger))
    torch.cuda.set_device(device)
    logger.info("device %s (%s)", device, torch.cuda.get_device_name(device))
    return device

"""What every rule script needs at start-up: a logger writing to the rule's log file, the device."""

from __future__ import annotations

import logging
import os
import sys
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


def select_device(preference: str = "auto"):
    """``cpu``, ``cuda``, ``cuda:N`` or ``auto`` (the GPU in CUDA_VISIBLE_DEVICES if any, else CPU)."""
    import torch

    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(preference)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"config asks for device {preference!r} but no CUDA device is visible")
    return device

"""Resumable training shared by every generator: data order, EMA, atomic checkpoints, the step loop.

A run killed at any point and started again ends with the same weights as an uninterrupted run on
CPU, because everything a step depends on is either saved in the checkpoint (weights, optimiser,
scheduler, EMA, torch generators, the global torch RNG and, when CUDA is initialised, every CUDA
device's RNG) or a pure function of the step number (the
batch order, ``batch_indices``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import torch

from synecg.seeding import derive_seed


def batch_indices(n_items: int, batch_size: int, seed: int, step: int) -> np.ndarray:
    """Row indices of the batch at ``step``: epoch-wise seeded permutations, the last partial batch dropped.

    Stateless: the batch depends only on (n_items, batch_size, seed, step), so resuming at any step
    replays the exact data order. A training set smaller than the batch gives the whole set.
    """
    if n_items <= 0:
        raise ValueError("cannot draw batches from an empty training set")
    per_epoch = max(1, n_items // batch_size)
    epoch, k = divmod(step, per_epoch)
    order = np.random.default_rng(derive_seed(seed, "epoch", epoch)).permutation(n_items)
    return np.sort(order[k * batch_size : (k + 1) * batch_size]) if n_items >= batch_size else order


class EMA:
    """Exponential moving average of parameters with a warm-up (diffusers' EMAModel schedule).

    decay(step) = min(max_decay, 1 - (1 + step / inv_gamma) ** -power); power 3/4 suits long runs,
    2/3 short ones (Karras et al.).
    """

    def __init__(self, model: torch.nn.Module, max_decay: float = 0.9999, inv_gamma: float = 1.0, power: float = 0.75):
        self.max_decay, self.inv_gamma, self.power = max_decay, inv_gamma, power
        self.shadow = {k: v.detach().clone().float() for k, v in model.state_dict().items()}
        self.updates = 0

    def decay(self) -> float:
        return min(self.max_decay, 1.0 - (1.0 + self.updates / self.inv_gamma) ** -self.power)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        d = self.decay()
        for key, value in model.state_dict().items():
            if value.dtype.is_floating_point:
                self.shadow[key].lerp_(value.detach().float(), 1.0 - d)
            else:
                self.shadow[key].copy_(value)
        self.updates += 1

    def copy_to(self, model: torch.nn.Module) -> None:
        model.load_state_dict({k: v.to(model.state_dict()[k].dtype) for k, v in self.shadow.items()})

    def state_dict(self) -> dict[str, Any]:
        return {"shadow": self.shadow, "updates": self.updates}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.shadow = {k: v.clone() for k, v in state["shadow"].items()}
        self.updates = int(state["updates"])


def config_fingerprint(obj: Any) -> str:
    """A short hash of a JSON-able config: a checkpoint is resumed only by a run with the same one."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


class CheckpointStore:
    """Atomic checkpoints in one folder: ``step_<N>.pt`` files, the newest ``keep`` kept.

    Payloads hold only tensors and plain types and are read with ``weights_only=True`` (no pickled
code runs on load). A checkpoint is written to a temporary name and renamed, so a kill during ``save`` leaves the
    previous checkpoint intact. Each carries the run's config fingerprint; ``latest`` ignores
    checkpoints of another config (a changed setting starts from scratch, it never resumes).
    """

    def __init__(self, folder: str | Path, fingerprint: str, keep: int = 2):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.keep = keep

    def save(self, step: int, payload: dict[str, Any]) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"step_{step:09d}.pt"
        tmp = self.folder / f".step_{step:09d}.pt.partial"
        torch.save({"step": step, "fingerprint": self.fingerprint, **payload}, tmp)
        os.replace(tmp, path)
        for old in sorted(self.folder.glob("step_*.pt"))[: -self.keep]:
            old.unlink()
        return path

    def latest(self) -> dict[str, Any] | None:
        for path in sorted(self.folder.glob("step_*.pt"), reverse=True):
            payload = torch.load(path, map_location="cpu", weights_only=True)
            if payload.get("fingerprint") == self.fingerprint:
                return payload
        return None


@dataclass
class LoopConfig:
    """Length and bookkeeping of a training run (steps, not epochs: budgets are stated in steps)."""

    steps: int
    checkpoint_every: int = 1000
    log_every: int = 100
    max_minutes: float | None = None  # optional wall-clock cap; the run stops cleanly with a checkpoint
    max_cpu_minutes: float | None = None  # optional cap on this process's CPU time (user + sys) in the loop


@dataclass
class LoopResult:
    final_step: int
    resumed_from: int
    stopped_by: str  # "steps", "wall-clock" or "cpu-time"


def run_loop(
    loop: LoopConfig,
    store: CheckpointStore,
    components: Mapping[str, Any],
    step_fn: Callable[[int], Mapping[str, torch.Tensor]],
    logger=None,
    generators: Mapping[str, torch.Generator] | None = None,
) -> LoopResult:
    """Run ``step_fn(step)`` for steps [start, loop.steps), resuming from the newest matching checkpoint.

    ``components``: objects with state_dict/load_state_dict (model, optimiser, scheduler, EMA).
    ``generators``: torch.Generators whose state is saved too. ``step_fn`` returns detached loss
    tensors; they are averaged on the device and read back only every ``log_every`` steps (no
    per-step host synchronisation).
    """
    generators = dict(generators or {})
    start = 0
    checkpoint = store.latest()
    if checkpoint is not None:
        for name, obj in components.items():
            obj.load_state_dict(checkpoint["components"][name])
        for name, gen in generators.items():
            gen.set_state(checkpoint["generators"][name])
        torch.set_rng_state(checkpoint["torch_rng"])
        cuda_rng = checkpoint.get("cuda_rng", [])
        if cuda_rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(cuda_rng)
        start = int(checkpoint["step"])
        _log(logger, f"resumed from checkpoint at step {start}")
    else:
        _log(logger, "no checkpoint of this config: starting at step 0")

    def save(step: int) -> None:
        store.save(
            step,
            {
                "components": {n: o.state_dict() for n, o in components.items()},
                "generators": {n: g.get_state() for n, g in generators.items()},
                "torch_rng": torch.get_rng_state(),
                "cuda_rng": cuda_rng_states(),
            },
        )

    t0, c0 = time.monotonic(), time.process_time()
    sums: dict[str, torch.Tensor] = {}
    count = 0
    step = start
    stopped_by = "steps"
    while step < loop.steps:
        losses = step_fn(step)
        for k, v in losses.items():
            sums[k] = sums.get(k, 0) + v.detach()
        count += 1
        step += 1
        if step % loop.log_every == 0 or step == loop.steps:
            means = {k: float(v) / count for k, v in sums.items()}
            elapsed = time.monotonic() - t0
            rate = (step - start) / max(elapsed, 1e-9)
            _log(logger, f"step {step}/{loop.steps} " + " ".join(f"{k}={v:.5g}" for k, v in means.items()) + f" ({rate:.2f} steps/s)")
            sums, count = {}, 0
        if step % loop.checkpoint_every == 0 and step < loop.steps:
            save(step)
        if loop.max_minutes is not None and time.monotonic() - t0 > 60 * loop.max_minutes and step < loop.steps:
            stopped_by = "wall-clock"
            _log(logger, f"wall-clock cap of {loop.max_minutes} min reached at step {step}")
            break
        if loop.max_cpu_minutes is not None and time.process_time() - c0 > 60 * loop.max_cpu_minutes and step < loop.steps:
            stopped_by = "cpu-time"
            _log(logger, f"CPU-time cap of {loop.max_cpu_minutes} min reached at step {step}")
            break
    save(step)
    return LoopResult(final_step=step, resumed_from=start, stopped_by=stopped_by)


def cuda_rng_states() -> list[torch.Tensor]:
    """RNG state of every CUDA device when CUDA is initialised, else [] (CPU runs carry an empty list)."""
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        return torch.cuda.get_rng_state_all()
    return []


def warmup_cosine(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int, min_ratio: float = 0.0):
    """Linear warm-up then cosine decay to ``min_ratio`` of the base lr (a LambdaLR, stepped per step)."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / max(1, warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _log(logger, message: str) -> None:
    if logger is not None:
        logger.info(message)

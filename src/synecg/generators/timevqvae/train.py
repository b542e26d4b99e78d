"""TimeVQVAE end to end: train stage 1, tokenise the training set once, train stage 2, sample.

Each function takes arrays and settings and returns plain objects; the rule scripts do the file
I/O of inputs and outputs. Training goes through the shared resumable loop
(``synecg.generators.training``): checkpoints are atomic and fingerprinted, and a killed run
resumes to the same weights as an uninterrupted one on CPU.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synecg.constants import N_CLASSES
from synecg.generators.timevqvae.config import SamplingConfig, Stage1Config, Stage2Config
from synecg.generators.timevqvae.sampling import sample_tokens
from synecg.generators.timevqvae.stage1 import VQVAE
from synecg.generators.timevqvae.stage2 import Priors
from synecg.generators.training import CheckpointStore, LoopConfig, batch_indices, config_fingerprint, run_loop, warmup_cosine
from synecg.seeding import derive_seed, torch_generator


def autocast(device: torch.device, bf16: bool):
    """bf16 autocast on CUDA (the STFT/iSTFT and the quantiser opt out inside the model)."""
    if bf16 and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def signal_scale(x: np.ndarray, chunk: int = 1024) -> float:
    """Standard deviation of every value of a (N, C, L) array, read in chunks (works on a memmap)."""
    total, sq, n = 0.0, 0.0, 0
    for i in range(0, len(x), chunk):
        part = np.asarray(x[i : i + chunk], dtype=np.float64)
        total, sq, n = total + part.sum(), sq + (part**2).sum(), n + part.size
    mean = total / max(n, 1)
    return float(max(np.sqrt(max(sq / max(n, 1) - mean**2, 0.0)), 1e-6))


def _batch(x: np.ndarray, idx: np.ndarray, device: torch.device) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x[idx], dtype=np.float32)).to(device, non_blocking=True)


def _optimiser(params, lr: float, weight_decay: float, warmup_fraction: float, steps: int, min_ratio: float):
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    return opt, warmup_cosine(opt, int(warmup_fraction * steps), steps, min_ratio)


def load_payload(path: str | Path) -> dict[str, Any]:
    """A TimeVQVAE file (``stage1.pt``, ``tokens.pt``, ``stage2.pt``) on the CPU, ``weights_only=True``:
    the payloads hold only tensors and plain types (configs as dicts), so nothing is unpickled."""
    return torch.load(path, map_location="cpu", weights_only=True)


def build_stage1(payload: dict[str, Any]) -> VQVAE:
    """The stage-1 model of a ``stage1.pt`` payload, in eval mode."""
    model = VQVAE(payload["channels"], payload["length"], Stage1Config(**payload["config"]))
    model.load_state_dict(payload["state_dict"])
    return model.eval()


def build_stage2(payload: dict[str, Any]) -> Priors:
    """The priors of a ``stage2.pt`` payload, in eval mode."""
    from synecg.generators.timevqvae.config import PriorConfig

    c = dict(payload["config"])
    cfg = Stage2Config(**{**c, "lf": PriorConfig(**c["lf"]), "hf": PriorConfig(**c["hf"])})
    priors = Priors(cfg, payload["codebook_size"], *payload["n_tokens"], payload["hf_rows"], payload["n_classes"])
    priors.load_state_dict(payload["state_dict"])
    return priors.eval()


def train_stage1(x_train: np.ndarray, x_val: np.ndarray, cfg: Stage1Config, seed: int, dataset: str,
                 checkpoint_dir: str | Path, device: torch.device, bf16: bool = True, compile: bool = False,
                 logger=None) -> dict[str, Any]:
    """Train the VQ-VAE on the training split; returns the ``stage1.pt`` payload.

    ``x_val`` only monitors reconstruction error (logged every ``log_every`` steps).
    """
    torch.manual_seed(derive_seed(seed, "timevqvae", dataset, "stage1", "init"))
    channels, length = x_train.shape[1], x_train.shape[2]
    model = VQVAE(channels, length, cfg).to(device)
    model.scale.fill_(signal_scale(x_train))
    forward = torch.compile(model) if compile and device.type == "cuda" else model
    opt, sched = _optimiser(model.parameters(), cfg.lr, cfg.weight_decay, cfg.warmup_fraction, cfg.steps, cfg.min_lr_ratio)
    data_seed = derive_seed(seed, "timevqvae", dataset, "stage1", "batches")
    val = _batch(x_val, np.arange(min(len(x_val), 256)), device) if len(x_val) else None
    fingerprint = config_fingerprint({"stage1": asdict(cfg), "seed": seed, "dataset": dataset, "shape": list(x_train.shape)})
    store = CheckpointStore(checkpoint_dir, fingerprint)

    def step_fn(step: int) -> dict[str, torch.Tensor]:
        model.train()
        x = _batch(x_train, batch_indices(len(x_train), cfg.batch_size, data_seed, step), device)
        with autocast(device, bf16):
            losses = model.loss(forward(x))
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        opt.step()
        sched.step()
        if logger is not None and val is not None and (step + 1) % cfg.log_every == 0:
            logger.info(f"step {step + 1} validation reconstruction MSE {float(validation_error(model, val, device, bf16)):.5g}")
        return {k: v.detach() for k, v in losses.items()}

    result = run_loop(LoopConfig(cfg.steps, cfg.checkpoint_every, cfg.log_every), store,
                      {"model": model, "opt": opt, "sched": sched}, step_fn, logger)
    recalibrate_batchnorm(model, x_train, cfg.batch_size, device, bf16)
    model.eval()
    return {
        "config": asdict(cfg), "channels": channels, "length": length, "seed": seed, "dataset": dataset,
        "state_dict": {k: v.cpu() for k, v in model.state_dict().items()}, "n_tokens": list(model.n_tokens),
        "hf_rows": cfg.n_fft // 2, "codebook_size": cfg.codebook_size, "steps": result.final_step,
        "resumed_from": result.resumed_from, "val_recon": float(validation_error(model, val, device, bf16)) if val is not None else None,
    }


@torch.no_grad()
def recalibrate_batchnorm(model: VQVAE, x: np.ndarray, batch_size: int, device: torch.device, bf16: bool,
                          max_records: int = 4096) -> None:
    """Replace the BatchNorm running statistics by exact averages over training records for the
    final weights ("precise BN", Wu & Johnson 2021).

    The running averages lag behind weights that still move at the end of training, and tokens are
    computed in eval mode; without this, a short run tokenises with stale statistics. The codebooks
    are untouched (quantisers stay in eval mode). Deterministic: the first ``max_records`` rows.
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    model.train()
    model.lf.vq.eval()
    model.hf.vq.eval()
    n = min(len(x), max_records)
    for i in range(0, n, batch_size):
        with autocast(device, bf16):
            model(_batch(x, np.arange(i, min(i + batch_size, n)), device))
    for m in norms:
        m.momentum = 0.1
    model.eval()


@torch.no_grad()
def validation_error(model: VQVAE, x: torch.Tensor, device: torch.device, bf16: bool) -> torch.Tensor:
    """Mean squared error of the full reconstruction (LF + HF), in units of the model's scale."""
    was_training = model.training
    model.eval()
    with autocast(device, bf16):
        out = model(x)
    model.train(was_training)
    return (((out.xhat_lf + out.xhat_hf - x) / model.scale) ** 2).mean().detach()


@torch.no_grad()
def tokenize(model: VQVAE, x: np.ndarray, device: torch.device, batch_size: int = 512,
             bf16: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, C, L) -> LF tokens (N, N_lf) and HF tokens (N, N_hf), int64 on CPU. Done once, cached."""
    model.eval()
    lf, hf = [], []
    for i in range(0, len(x), batch_size):
        with autocast(device, bf16):
            a, b = model.encode(_batch(x, np.arange(i, min(i + batch_size, len(x))), device))
        lf.append(a.cpu())
        hf.append(b.cpu())
    n_lf, n_hf = model.n_tokens
    empty = torch.zeros(0, dtype=torch.long)
    return (torch.cat(lf) if lf else empty.reshape(0, n_lf)), (torch.cat(hf) if hf else empty.reshape(0, n_hf))


def train_stage2(tokens: dict[str, Any], stage1: dict[str, Any], cfg: Stage2Config, seed: int, dataset: str,
                 checkpoint_dir: str | Path, device: torch.device, bf16: bool = True, compile: bool = False,
                 logger=None) -> dict[str, Any]:
    """Train the LF and HF priors on cached training tokens; returns the ``stage2.pt`` payload.

    ``tokens``: {"train": {"lf", "hf", "y"}, "val": {...}, "stage1_sha256"} (from ``tokenize``).
    """
    torch.manual_seed(derive_seed(seed, "timevqvae", dataset, "stage2", "init"))
    n_lf, n_hf = stage1["n_tokens"]
    priors = Priors(cfg, stage1["codebook_size"], n_lf, n_hf, stage1["hf_rows"], N_CLASSES).to(device)
    if compile and device.type == "cuda":
        priors.lf.compile()
        priors.hf.compile()
    opt, sched = _optimiser(priors.parameters(), cfg.lr, cfg.weight_decay, cfg.warmup_fraction, cfg.steps, cfg.min_lr_ratio)
    train = {k: tokens["train"][k].to(device) for k in ("lf", "hf", "y")}
    val = {k: tokens["val"][k][:512].to(device) for k in ("lf", "hf", "y")}
    n = len(train["y"])
    data_seed = derive_seed(seed, "timevqvae", dataset, "stage2", "batches")
    gen = torch_generator(seed, "timevqvae", dataset, "stage2", "masks", device=device.type)
    fingerprint = config_fingerprint({"stage2": asdict(cfg), "seed": seed, "dataset": dataset,
                                      "tokens": tokens["stage1_sha256"], "n": n})
    store = CheckpointStore(checkpoint_dir, fingerprint)

    def step_fn(step: int) -> dict[str, torch.Tensor]:
        priors.train()
        idx = torch.from_numpy(batch_indices(n, cfg.batch_size, data_seed, step)).to(device)
        with autocast(device, bf16):
            losses = priors.loss(train["lf"][idx], train["hf"][idx], train["y"][idx], gen)
        opt.zero_grad(set_to_none=True)
        losses["loss"].backward()
        opt.step()
        sched.step()
        if logger is not None and len(val["y"]) and (step + 1) % cfg.log_every == 0:
            logger.info(f"step {step + 1} validation masked-token CE {float(validation_loss(priors, val, seed, device, bf16)):.5g}")
        return {k: v.detach() for k, v in losses.items()}

    result = run_loop(LoopConfig(cfg.steps, cfg.checkpoint_every, cfg.log_every), store,
                      {"priors": priors, "opt": opt, "sched": sched}, step_fn, logger, generators={"masks": gen})
    return {
        "config": asdict(cfg), "seed": seed, "dataset": dataset, "stage1_sha256": tokens["stage1_sha256"],
        "state_dict": {k: v.cpu() for k, v in priors.state_dict().items()}, "n_tokens": [n_lf, n_hf],
        "hf_rows": stage1["hf_rows"], "codebook_size": stage1["codebook_size"], "n_classes": N_CLASSES,
        "steps": result.final_step, "resumed_from": result.resumed_from,
    }


@torch.no_grad()
def validation_loss(priors: Priors, val: dict[str, torch.Tensor], seed: int, device: torch.device, bf16: bool) -> torch.Tensor:
    """Masked-token cross-entropy on validation tokens with a fixed mask draw (its own generator)."""
    was_training = priors.training
    priors.eval()
    gen = torch_generator(seed, "timevqvae", "stage2", "val-masks", device=device.type)
    with autocast(device, bf16):
        loss = priors.loss(val["lf"], val["hf"], val["y"], gen)["loss"].detach()
    priors.train(was_training)
    return loss


@torch.no_grad()
def sample(stage1: VQVAE, priors: Priors, y: np.ndarray, cfg: SamplingConfig, generator: torch.Generator,
           device: torch.device, batch_size: int = 1024, bf16: bool = True) -> np.ndarray:
    """One signal per class label in ``y`` (N,): x float32 (N, C, L) in signal units.

    Batches of ``batch_size`` draw from one generator in turn, so the bank depends on the batch size.
    """
    y = np.asarray(y, dtype=np.int64)
    parts = []
    for i in range(0, len(y), batch_size):
        labels = torch.from_numpy(y[i : i + batch_size]).to(device)
        with autocast(device, bf16):
            lf, hf = sample_tokens(priors, labels, cfg, generator)
            x_lf, x_hf = stage1.decode(lf, hf)
        parts.append((x_lf + x_hf).float().cpu().numpy())
    x = np.concatenate(parts) if parts else np.zeros((0, stage1.channels, stage1.length), np.float32)
    return x.astype(np.float32)


@torch.no_grad()
def reconstruct(model: VQVAE, x: np.ndarray, device: torch.device) -> dict[str, np.ndarray]:
    """Stage-1 reconstructions of records (N, C, L): LF, HF and their sum, plus the input's LF/HF parts."""
    model.eval()
    out = model(torch.from_numpy(np.asarray(x, dtype=np.float32)).to(device))
    to = lambda t: t.float().cpu().numpy()  # noqa: E731
    return {"x": np.asarray(x), "x_lf": to(out.x_lf), "x_hf": to(out.x_hf), "xhat_lf": to(out.xhat_lf),
            "xhat_hf": to(out.xhat_hf), "xhat": to(out.xhat_lf + out.xhat_hf)}

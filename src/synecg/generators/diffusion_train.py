"""Training and sampling entry points of the diffusion generators (sssd, diffwave, timediffusion).

``train_diffusion`` fits one generator on a training split with the shared resumable loop
(``synecg.generators.training``) and returns the final payload (weights, EMA weights, configs) that
the rule saves as ``model.pt``; ``sample_diffusion`` draws a bank from such a payload. Both take
arrays and return arrays: file handling stays in the rule scripts, except the checkpoint folder
that the loop resumes from.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch

from synecg.generators.diffusion import DiffusionProcess, ProcessConfig
from synecg.generators.registry import spec
from synecg.generators.training import EMA, CheckpointStore, LoopConfig, batch_indices, config_fingerprint, run_loop, warmup_cosine
from synecg.seeding import derive_seed


@dataclass
class TrainSettings:
    """One generator's training run (config ``generators.<name>`` + ``generators.training``)."""

    preset: str = "tiny"
    model: dict[str, Any] = field(default_factory=dict)  # overrides of the preset's fields
    steps: int = 200
    batch_size: int = 16
    lr: float = 2e-4
    lr_schedule: str = "constant"  # constant (after warm-up) | cosine (warm-up then cosine decay to 0)
    warmup_steps: int = 0
    grad_clip: float = 0.0  # max gradient norm; 0 = off
    ema_decay: float = 0.999  # max decay of the EMA of weights (warm-up schedule of diffusers' EMAModel)
    p_uncond: float = 0.0  # classifier-free guidance: share of labels replaced by the null class (needs model.null_class)
    guidance_scale: float = 1.0  # default guidance w of sample_diffusion (1 = plain conditional sampling)
    data_scale: float = 1.0  # the network models x * data_scale (mV as the references: 1); 0 = 1 / std of the training split
    log_every: int = 50
    checkpoint_every: int = 500
    val_every: int = 500
    val_batches: int = 2
    max_minutes: float | None = None
    max_cpu_minutes: float | None = None  # cap on the process's CPU time in the loop (the learning check's budget)

    @classmethod
    def from_config(cls, generator_section: dict[str, Any], common: dict[str, Any]) -> "TrainSettings":
        merged = {**common, **generator_section}
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in merged.items() if k in known})


@dataclass
class Runtime:
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    bf16: bool = True  # autocast on CUDA only
    compile: bool = False  # torch.compile on CUDA only

    @property
    def autocast(self) -> bool:
        return self.bf16 and self.device.type == "cuda"


def _maybe_compile(net: torch.nn.Module, runtime: Runtime):
    if runtime.compile and runtime.device.type == "cuda":
        return torch.compile(net)
    return net


def train_diffusion(
    name: str,
    settings: TrainSettings,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_val: np.ndarray | None,
    y_val: np.ndarray | None,
    checkpoint_dir: str | Path,
    seed: int,
    runtime: Runtime | None = None,
    logger=None,
    process_config: ProcessConfig | None = None,
    monitor: Callable[[int, dict[str, Any]], None] | None = None,
    monitor_every: int = 0,
) -> dict[str, Any]:
    """Train generator ``name`` on x_train (N, 12, L) mV, y_train (N,); return the model payload.

    Resumes from the newest checkpoint in ``checkpoint_dir`` written by the same settings (config
    fingerprint); on CPU a killed and resumed run ends with the weights of an uninterrupted one.
    ``x_val`` only feeds the validation loss in the log. ``process_config`` replaces the generator's
    published noise process (studies and tests only; the workflow always uses the published one).
    ``monitor(step, payload)`` is called every ``monitor_every`` steps with the payload of that step
    (the learning check samples from it); it must leave the global torch RNG as it found it.
    """
    runtime = runtime or Runtime()
    device = runtime.device
    gen_spec = spec(name)
    length = int(x_train.shape[-1])
    net_cfg = gen_spec.network_config(settings.preset, settings.model, signal_length=length)
    process_config = process_config or gen_spec.process
    process = DiffusionProcess(process_config)
    leads = list(gen_spec.modelled_leads)
    null_class = null_class_of(net_cfg)
    if settings.p_uncond > 0 and null_class is None:
        raise ValueError(f"generators.{name}.p_uncond = {settings.p_uncond} needs model.null_class: true")

    torch.manual_seed(derive_seed(seed, name, "init"))
    net = gen_spec.build(net_cfg).to(device)
    fwd = _maybe_compile(net, runtime)
    optimizer = gen_spec.optimizer.build(net.parameters(), settings.lr)
    if settings.lr_schedule == "cosine":
        scheduler = warmup_cosine(optimizer, settings.warmup_steps, settings.steps)
    elif settings.lr_schedule == "constant":
        warm = max(1, settings.warmup_steps)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / warm))
    else:
        raise ValueError(f"lr_schedule must be 'constant' or 'cosine', got {settings.lr_schedule!r}")
    ema = EMA(net, max_decay=settings.ema_decay)
    noise_gen = torch.Generator(device=device)
    noise_gen.manual_seed(derive_seed(seed, name, "noise"))

    x_np = np.ascontiguousarray(np.asarray(x_train)[:, leads])
    scale = resolve_data_scale(settings.data_scale, x_np)
    x_all = torch.from_numpy(x_np * np.float32(scale)).to(device)
    y_all = torch.from_numpy(np.asarray(y_train, dtype=np.int64)).to(device)
    batch_seed = derive_seed(seed, name, "batches")
    validate = _validator(process, fwd, net, x_val, y_val, leads, settings, seed, name, runtime, logger, scale)

    def step_fn(step: int) -> dict[str, torch.Tensor]:
        idx = torch.from_numpy(batch_indices(len(y_all), settings.batch_size, batch_seed, step)).to(device)
        loss = process.training_loss(fwd, x_all[idx], y_all[idx], noise_gen, autocast=runtime.autocast,
                                     p_uncond=settings.p_uncond, null_class=null_class)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        out = {"loss": loss.detach()}
        if settings.grad_clip > 0:
            out["grad_norm"] = torch.nn.utils.clip_grad_norm_(net.parameters(), settings.grad_clip).detach()
        optimizer.step()
        scheduler.step()
        ema.update(net)
        if settings.val_every > 0 and (step + 1) % settings.val_every == 0:
            validate(step + 1)
        if monitor is not None and monitor_every > 0 and (step + 1) % monitor_every == 0:
            monitor(step + 1, payload(step + 1, "monitor"))
        return out

    def payload(final_step: int, stopped_by: str) -> dict[str, Any]:
        return {
            "generator": name,
            "network_config": asdict(net_cfg),
            "process": asdict(process_config),
            "settings": asdict(settings),
            "seed": seed,
            "signal_length": length,
            "modelled_leads": leads,
            "data_scale": scale,
            "final_step": final_step,
            "stopped_by": stopped_by,
            "state_dict": {k: v.detach().cpu() for k, v in net.state_dict().items()},
            "ema_state_dict": {k: v.detach().cpu().clone() for k, v in ema.shadow.items()},
        }

    fingerprint = config_fingerprint(
        {"generator": name, "network": asdict(net_cfg), "process": asdict(process_config), "settings": _loop_free(settings),
         "seed": seed, "n_train": len(y_all), "length": length}
    )
    loop = LoopConfig(settings.steps, settings.checkpoint_every, settings.log_every, settings.max_minutes, settings.max_cpu_minutes)
    store = CheckpointStore(checkpoint_dir, fingerprint)
    n_params = sum(p.numel() for p in net.parameters())
    _log(logger, f"{name}: preset {settings.preset}, {n_params / 1e6:.3f} M parameters, {len(y_all)} training records of "
                 f"{len(leads)} x {length}, device {device}, bf16 autocast {runtime.autocast}")
    t0 = time.monotonic()
    result = run_loop(loop, store, {"net": net, "optimizer": optimizer, "scheduler": scheduler, "ema": ema}, step_fn,
                      logger=logger, generators={"noise": noise_gen})
    _log(logger, f"{name}: stopped at step {result.final_step} ({result.stopped_by}) after {time.monotonic() - t0:.1f} s")
    if x_val is not None and len(x_val):
        validate(result.final_step)
    return payload(result.final_step, result.stopped_by)


def _loop_free(settings: TrainSettings) -> dict[str, Any]:
    """Settings that change the learned weights (the resume fingerprint): bookkeeping keys excluded."""
    skip = {"log_every", "checkpoint_every", "val_every", "val_batches", "max_minutes", "max_cpu_minutes", "guidance_scale"}
    return {k: v for k, v in asdict(settings).items() if k not in skip}


def resolve_data_scale(data_scale: float, x: np.ndarray) -> float:
    """The factor the network's signals are multiplied by: ``data_scale``, or for 0 one over the pooled
    standard deviation of the training signals ``x`` (unit-variance data against unit-variance noise)."""
    if data_scale < 0:
        raise ValueError(f"data_scale must be >= 0 (0 = 1 / training std), got {data_scale}")
    if data_scale > 0:
        return float(data_scale)
    std = float(np.asarray(x, dtype=np.float64).std())
    if not std > 0:
        raise ValueError("data_scale 0 (1 / training std) needs training signals that are not all constant")
    return 1.0 / std


def _validator(process, fwd, net, x_val, y_val, leads, settings, seed, name, runtime, logger, scale=1.0):
    """A function logging the loss on fixed validation batches (own generator: training RNG untouched)."""
    if x_val is None or y_val is None or len(y_val) == 0 or settings.val_batches <= 0:
        return lambda step: None
    device = runtime.device
    n = min(len(y_val), settings.batch_size * settings.val_batches)
    rows = np.sort(np.random.default_rng(derive_seed(seed, name, "val_rows")).permutation(len(y_val))[:n])
    xv = torch.from_numpy(np.ascontiguousarray(np.asarray(x_val)[rows][:, leads]) * np.float32(scale)).to(device)
    yv = torch.from_numpy(np.asarray(y_val, dtype=np.int64)[rows]).to(device)

    def validate(step: int) -> None:
        gen = torch.Generator(device=device)
        gen.manual_seed(derive_seed(seed, name, "val_noise"))
        net.eval()
        with torch.no_grad():
            losses = [
                process.training_loss(fwd, xv[i : i + settings.batch_size], yv[i : i + settings.batch_size], gen, runtime.autocast)
                for i in range(0, n, settings.batch_size)
            ]
        net.train()
        _log(logger, f"step {step} val_loss={float(torch.stack(losses).mean()):.5g}")

    return validate


def null_class_of(network_config) -> int | None:
    """Index of the classifier-free-guidance null class of a network config (None without one)."""
    return int(network_config.n_classes) if getattr(network_config, "null_class", False) else None


def load_network(payload: dict[str, Any], weights: str = "ema", device: torch.device | str = "cpu") -> torch.nn.Module:
    """Rebuild the network of a ``train_diffusion`` payload with its EMA (default) or final weights, in eval mode."""
    gen_spec = spec(payload["generator"])
    cfg = _config_from_dict(gen_spec, payload["network_config"])
    net = gen_spec.build(cfg)
    state = payload["ema_state_dict"] if weights == "ema" else payload["state_dict"]
    net.load_state_dict({k: v.to(net.state_dict()[k].dtype) for k, v in state.items()})
    return net.to(device).eval()


def _config_from_dict(gen_spec, values: dict[str, Any]):
    cfg = gen_spec.config_cls()
    known = {f for f in cfg.__dataclass_fields__}
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items() if k in known}
    return gen_spec.config_cls(**kwargs)


def sample_diffusion(
    payload: dict[str, Any],
    labels: np.ndarray,
    seed: int,
    sampler: str = "ddpm",
    steps: int | None = None,
    batch_size: int = 256,
    runtime: Runtime | None = None,
    logger=None,
    guidance: float | None = None,
) -> np.ndarray:
    """Draw one signal per class index in ``labels``: float32 (N, 12, L) mV in canonical lead order.

    One torch.Generator on the sampling device, seeded from ``seed``, feeds every batch in order, so the
    same (payload, labels, seed, sampler, steps, batch_size) gives the same bank on CPU. ``guidance``:
    the classifier-free guidance scale; None takes the payload's ``settings.guidance_scale`` (1 = none).
    """
    runtime = runtime or Runtime()
    device = runtime.device
    gen_spec = spec(payload["generator"])
    net = load_network(payload, "ema", device)
    fwd = _maybe_compile(net, runtime)
    process = DiffusionProcess(ProcessConfig(**payload["process"]))
    if guidance is None:
        guidance = float(payload["settings"].get("guidance_scale", 1.0))
    null_class = null_class_of(net.cfg)
    scale = float(payload.get("data_scale", 1.0))
    shape = (len(payload["modelled_leads"]), int(payload["signal_length"]))
    gen = torch.Generator(device=device)
    gen.manual_seed(int(seed))
    out = np.empty((len(labels), 12, shape[1]), dtype=np.float32)
    n_batches = math.ceil(len(labels) / batch_size)
    t0 = time.monotonic()
    for b in range(n_batches):
        sl = slice(b * batch_size, (b + 1) * batch_size)
        y = torch.from_numpy(np.asarray(labels[sl], dtype=np.int64)).to(device)
        x = process.sample(fwd, y, shape, gen, sampler=sampler, steps=steps, autocast=runtime.autocast,
                           guidance=guidance, null_class=null_class)
        out[sl] = gen_spec.complete(x / scale).cpu().numpy()
        _log(logger, f"sampled batch {b + 1}/{n_batches} ({min(sl.stop, len(labels))} of "
                     f"{len(labels)} signals, {time.monotonic() - t0:.1f} s)")
    if not np.isfinite(out).all():
        raise FloatingPointError(f"{payload['generator']}: the sampler produced non-finite values")
    return out


def _log(logger, message: str) -> None:
    if logger is not None:
        logger.info(message)

"""The DDPM noise process shared by the diffusion generators: schedule, training loss, samplers.

The network and the noise process are separate objects (as in diffusers): a network maps
``(x_t (B, C, L), t (B,) int64, y (B,) int64) -> (B, C, L)`` and predicts either the noise ε or the
clean signal x0; a ``DiffusionProcess`` owns the β schedule (built by diffusers' ``DDPMScheduler``,
including the zero-terminal-SNR rescale of Lin et al. 2024, Alg. 1), draws the training targets and
runs the samplers (diffusers' ancestral ``DDPMScheduler.step`` and ``DDIMScheduler.step``). One trained
network serves both samplers.

All randomness comes from an explicit ``torch.Generator``; the sampling loop never reads a value
back to the host, so on CUDA the steps queue without synchronisation.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler

Network = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

PREDICTIONS = ("epsilon", "sample", "v_prediction")
WEIGHTINGS = ("none", "snr", "truncated_snr")
SAMPLERS = ("ddpm", "ddim")


@dataclass
class ProcessConfig:
    """A DDPM forward process and training objective.

    ``prediction``: ``epsilon`` (SSSD-ECG, DiffWave), ``sample`` (x0, Time-Diffusion) or
    ``v_prediction`` (v = √ᾱ ε − √(1−ᾱ) x0, Salimans & Ho 2022; with a zero terminal SNR it is the
    pairing Lin et al. 2024 use for networks built for ε).
    ``weighting`` of the per-sample MSE: ``none``; ``snr`` = ᾱ/(1-ᾱ) (Salimans & Ho 2022 eq. 8: an
    x0 loss weighted by SNR equals the ε loss); ``truncated_snr`` = max(SNR, 1) (their "truncated
    SNR"). With a zero terminal SNR the ``snr`` weight of the last step would be 0, so that step (the
    one every sample starts from) would never be trained: there the weight is floored at the
    smallest non-zero SNR of the schedule (the weight of step T-2).
    """

    train_steps: int = 200
    beta_start: float = 1e-4
    beta_end: float = 0.02
    zero_terminal_snr: bool = False
    prediction: str = "epsilon"
    weighting: str = "none"

    def __post_init__(self) -> None:
        if self.prediction not in PREDICTIONS:
            raise ValueError(f"prediction must be one of {PREDICTIONS}, got {self.prediction!r}")
        if self.weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, got {self.weighting!r}")
        if self.zero_terminal_snr and self.prediction == "epsilon":
            # x0 = (x_T - sqrt(1-ᾱ_T) ε) / sqrt(ᾱ_T) is undefined at ᾱ_T = 0 (Lin et al. 2024, sec. 3.2).
            raise ValueError("a zero terminal SNR needs sample (x0) or v_prediction, not epsilon")


class DiffusionProcess:
    """Training loss and samplers of one ``ProcessConfig`` (schedules from diffusers)."""

    def __init__(self, cfg: ProcessConfig):
        self.cfg = cfg
        self.scheduler_kwargs = dict(
            num_train_timesteps=cfg.train_steps,
            beta_start=cfg.beta_start,
            beta_end=cfg.beta_end,
            beta_schedule="linear",
            rescale_betas_zero_snr=cfg.zero_terminal_snr,
            prediction_type=cfg.prediction,
            clip_sample=False,  # signals are in mV, not in [-1, 1]
            # "trailing" makes the first sampling step t = T-1 for any step count, which a
            # zero-terminal-SNR model needs (Lin et al. 2024, sec. 3.3).
            timestep_spacing="trailing",
        )
        ddpm = self.make_scheduler("ddpm")
        self.alphas_cumprod = ddpm.alphas_cumprod.to(torch.float64)
        self._weights: dict[torch.device, torch.Tensor] = {}
        self._sqrt_ab: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def make_scheduler(self, sampler: str):
        if sampler == "ddpm":
            return DDPMScheduler(**self.scheduler_kwargs, variance_type="fixed_small")
        if sampler == "ddim":
            return DDIMScheduler(**self.scheduler_kwargs, set_alpha_to_one=True)
        raise ValueError(f"sampler must be one of {SAMPLERS}, got {sampler!r}")

    def snr(self) -> torch.Tensor:
        """SNR(t) = ᾱ_t / (1 - ᾱ_t) for t = 0..T-1 (float64; the last is 0 with a zero terminal SNR)."""
        ab = self.alphas_cumprod
        return ab / (1 - ab)

    def loss_weights(self) -> torch.Tensor:
        """Per-timestep weight of the MSE (float32, length T), see ``ProcessConfig``."""
        return self.loss_weights_of(self.cfg.weighting)

    def loss_weights_of(self, weighting: str) -> torch.Tensor:
        """Per-timestep weight (float32, length T) that ``weighting`` would give on this schedule."""
        snr = self.snr()
        if weighting == "none":
            w = torch.ones_like(snr)
        elif weighting == "snr":
            w = snr.clamp_min(snr[snr > 0].min())
        else:
            w = snr.clamp_min(1.0)
        return w.float()

    def _buffers(self, device: torch.device):
        if device not in self._sqrt_ab:
            ab = self.alphas_cumprod
            self._sqrt_ab[device] = (ab.sqrt().float().to(device), (1 - ab).sqrt().float().to(device))
            self._weights[device] = self.loss_weights().to(device)
        return self._sqrt_ab[device], self._weights[device]

    def training_loss(
        self,
        net: Network,
        x0: torch.Tensor,
        y: torch.Tensor,
        generator: torch.Generator,
        autocast: bool = False,
        p_uncond: float = 0.0,
        null_class: int | None = None,
    ) -> torch.Tensor:
        """The weighted denoising MSE of one batch x0 (B, C, L) mV, y (B,): a float32 scalar.

        t ~ U{0..T-1} and ε ~ N(0, I) are drawn from ``generator`` (on x0's device). The network
        runs under bf16 autocast when ``autocast``; the loss arithmetic stays fp32. With
        ``p_uncond > 0`` each label is replaced by ``null_class`` with that probability (classifier-free
        guidance training, Ho & Salimans 2022); the drop draws come after t and ε, so ``p_uncond = 0``
        leaves the random stream exactly as before.
        """
        (sqrt_ab, sqrt_1mab), weights = self._buffers(x0.device)
        b = x0.shape[0]
        t = torch.randint(0, self.cfg.train_steps, (b,), generator=generator, device=x0.device)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device, dtype=torch.float32)
        if p_uncond > 0:
            if null_class is None:
                raise ValueError("p_uncond > 0 needs the network's null class (model.null_class: true)")
            drop = torch.rand((b,), generator=generator, device=x0.device) < p_uncond
            y = torch.where(drop, torch.full_like(y, null_class), y)
        a, s = sqrt_ab[t].view(b, 1, 1), sqrt_1mab[t].view(b, 1, 1)
        x_t = a * x0 + s * noise
        with _autocast(x0.device, autocast):
            out = net(x_t, t, y)
        if self.cfg.prediction == "epsilon":
            target = noise
        elif self.cfg.prediction == "sample":
            target = x0
        else:  # v_prediction
            target = a * noise - s * x0
        per_sample = (out.float() - target).pow(2).mean(dim=(1, 2))
        return (weights[t] * per_sample).mean()

    @torch.no_grad()
    def sample(
        self,
        net: Network,
        y: torch.Tensor,
        shape: tuple[int, int],
        generator: torch.Generator,
        sampler: str = "ddpm",
        steps: int | None = None,
        autocast: bool = False,
        guidance: float = 1.0,
        null_class: int | None = None,
    ) -> torch.Tensor:
        """Draw x0 (B, C, L) for class indices y (B,) with ``shape`` = (C, L).

        ``ddpm``: the ancestral sampler over all T steps (σ² = β̃_t, "fixed_small"); ``ddim``: the
        deterministic DDIM sampler (η = 0) over ``steps`` trailing-spaced steps. The generator must live
        on y's device; the same generator state gives the same samples on CPU. ``guidance`` w != 1
        (classifier-free guidance) uses uncond + w (cond - uncond) of the network's output, with the
        unconditional pass given ``null_class``; w = 1 is the plain conditional sampler.
        """
        if guidance != 1.0 and null_class is None:
            raise ValueError("classifier-free guidance needs a network trained with a null class")
        device = y.device
        scheduler = self.make_scheduler(sampler)
        n_steps = self.cfg.train_steps if sampler == "ddpm" else int(steps or 50)
        scheduler.set_timesteps(n_steps)
        x = torch.randn((y.shape[0], *shape), generator=generator, device=device, dtype=torch.float32)
        for t in scheduler.timesteps.tolist():
            t_batch = torch.full((y.shape[0],), t, device=device, dtype=torch.long)
            with _autocast(device, autocast):
                if guidance == 1.0:
                    out = net(x, t_batch, y)
                else:
                    null = torch.full_like(y, null_class)
                    cond, uncond = net(torch.cat([x, x]), torch.cat([t_batch, t_batch]), torch.cat([y, null])).chunk(2)
                    out = uncond + guidance * (cond - uncond)
            kwargs = {"generator": generator} if sampler == "ddpm" else {"eta": 0.0}
            x = scheduler.step(out.float(), t, x, **kwargs).prev_sample
        return x

    def describe(self) -> dict:
        return asdict(self.cfg)


def _autocast(device: torch.device, enabled: bool):
    if enabled and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return nullcontext()

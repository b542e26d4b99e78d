"""Plain DiffWave (Kong et al., ICLR 2021) for class-conditional 12-lead ECG.

Residual stack of dilated convolutions (dilation 2^(i mod cycle)), gated tanh·sigmoid, residual
sums scaled by 1/√2 and skip sums by 1/√N (the paper's Fig. 2). Differences from lmnt's vocoder code:
12-channel input and output instead of one audio channel, a class embedding projected and added in
every layer instead of a mel upsampler, and no clamp to [-1, 1] at sampling (signals are in mV).

``DiffWave(cfg)(x_t (B, 12, L), t (B,) int64, y (B,) int64) -> ε̂ (B, 12, L)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from synecg.constants import N_CLASSES, N_LEADS


@dataclass
class DiffWaveConfig:
    n_leads: int = N_LEADS
    n_classes: int = N_CLASSES
    layers: int = 36
    channels: int = 256
    dilation_cycle: int = 12
    kernel_size: int = 3
    step_embed_dim: int = 128  # sinusoidal; then 512 -> 512 (the DiffWave paper)
    step_hidden: int = 512
    class_embed_dim: int = 128
    null_class: bool = False  # one extra embedding row (index n_classes) for classifier-free guidance


PRESETS: dict[str, DiffWaveConfig] = {
    "tiny": DiffWaveConfig(layers=4, channels=16, dilation_cycle=4, step_embed_dim=32, step_hidden=64, class_embed_dim=16),
    # the learning check's CPU preset: one dilation cycle of 10 layers (receptive field 2,047 samples, more
    # than the 1,000 of a 10 s record at 100 Hz; tiny sees 31) and a null class for guidance (docs/generators.md)
    "check": DiffWaveConfig(layers=10, channels=32, dilation_cycle=10, step_embed_dim=32, step_hidden=64, class_embed_dim=16,
                            null_class=True),
    "mid": DiffWaveConfig(layers=30, channels=128, dilation_cycle=10),
    "paper": DiffWaveConfig(layers=36, channels=256, dilation_cycle=12),
}


class StepEmbedding(nn.Module):
    """Diffusion-step embedding: sinusoidal table (dim) -> Linear(hidden) -> SiLU -> Linear(hidden) -> SiLU.

    ``t (B,) int64 -> (B, hidden)``. The table follows DiffWave eq. (see its appendix): half sin, half cos
    with frequencies 10^(4 i / (dim/2 - 1)).
    """

    def __init__(self, dim: int = 128, hidden: int = 512):
        super().__init__()
        half = dim // 2
        self.register_buffer("freqs", 10.0 ** (4.0 * torch.arange(half) / max(1, half - 1)), persistent=False)  # lmnt: 10^(+4i/63)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        arg = t.float()[:, None] * self.freqs[None, :]
        emb = torch.cat([arg.sin(), arg.cos()], dim=1)
        return F.silu(self.fc2(F.silu(self.fc1(emb))))


class ResidualLayer(nn.Module):
    """One DiffWave layer: (x (B, C, L), step (B, S), cls (B, E)) -> (residual out, skip)."""

    def __init__(self, channels: int, dilation: int, kernel_size: int, step_hidden: int, class_dim: int):
        super().__init__()
        self.step_proj = nn.Linear(step_hidden, channels)
        self.conv = nn.Conv1d(channels, 2 * channels, kernel_size, padding=dilation * (kernel_size - 1) // 2, dilation=dilation)
        self.class_proj = nn.Linear(class_dim, 2 * channels)
        self.out = nn.Conv1d(channels, 2 * channels, 1)
        nn.init.kaiming_normal_(self.conv.weight)
        nn.init.kaiming_normal_(self.out.weight)

    def forward(self, x: torch.Tensor, step: torch.Tensor, cls: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv(x + self.step_proj(step)[:, :, None]) + self.class_proj(cls)[:, :, None]
        gate, filt = h.chunk(2, dim=1)
        h = torch.sigmoid(gate) * torch.tanh(filt)
        residual, skip = self.out(h).chunk(2, dim=1)
        return (x + residual) * math.sqrt(0.5), skip


class DiffWave(nn.Module):
    """Class-conditional DiffWave: ``(x_t (B, n_leads, L), t (B,), y (B,)) -> (B, n_leads, L)``."""

    def __init__(self, cfg: DiffWaveConfig):
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Conv1d(cfg.n_leads, cfg.channels, 1)
        self.step = StepEmbedding(cfg.step_embed_dim, cfg.step_hidden)
        self.classes = nn.Embedding(cfg.n_classes + int(cfg.null_class), cfg.class_embed_dim)
        self.layers = nn.ModuleList(
            ResidualLayer(cfg.channels, 2 ** (i % cfg.dilation_cycle), cfg.kernel_size, cfg.step_hidden, cfg.class_embed_dim)
            for i in range(cfg.layers)
        )
        self.skip_out = nn.Conv1d(cfg.channels, cfg.channels, 1)
        self.out = nn.Conv1d(cfg.channels, cfg.n_leads, 1)
        nn.init.zeros_(self.out.weight)  # starts as the zero predictor (lmnt's init)
        nn.init.zeros_(self.out.bias)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.inp(x_t))
        step, cls = self.step(t), self.classes(y)
        skips = torch.zeros_like(x)
        for layer in self.layers:
            x, skip = layer(x, step, cls)
            skips = skips + skip
        h = F.relu(self.skip_out(skips / math.sqrt(len(self.layers))))
        return self.out(h)

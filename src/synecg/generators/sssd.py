"""SSSD-ECG (Alcaraz & Strodthoff 2023): a DiffWave residual stack with S4 layers, class-conditional.

Block i: x + step projection -> Conv1d k=3 (C -> 2C) -> S4 (2C) -> + class projection (2C) -> S4 (2C)
-> tanh·sigmoid gate -> 1x1 residual (C) and skip (S) convolutions; residuals are scaled by √0.5,
the skip sum by √(1/N). The diffusion step is embedded 128 -> 512 -> 512 (SiLU).

The network models 8 leads, I, V1-V6 and aVF (``MODELLED_LEADS``); the other four follow from
Einthoven's and Goldberger's laws (``complete_leads``). Everything here is in the canonical lead order
(``synecg.constants.LEADS``): the original code's output order [I, II, V1-V6, III, aVR, aVL, aVF] is not
used anywhere, so a bank can never be written in it.

``SSSD(cfg)(x_t (B, 8, L), t (B,) int64, y (B,) int64) -> ε̂ (B, 8, L)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from synecg.constants import LEAD_INDEX, N_CLASSES
from synecg.generators.diffwave import StepEmbedding
from synecg.generators.s4 import S4Layer

MODELLED_LEADS: tuple[str, ...] = ("I", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")  # canonical order
MODELLED_INDEX: tuple[int, ...] = tuple(LEAD_INDEX[name] for name in MODELLED_LEADS)


def complete_leads(x8: torch.Tensor) -> torch.Tensor:
    """(B, 8, L) in ``MODELLED_LEADS`` order -> (B, 12, L) in canonical order.

    Einthoven: II = I + III with II = I/2 + aVF and III = aVF - I/2; Goldberger: aVR = -(I + II)/2 =
    -3/4 I - aVF/2, aVL = (I - III)/2 = 3/4 I - aVF/2.
    """
    lead_i, avf, chest = x8[:, 0], x8[:, 1], x8[:, 2:]
    ii = 0.5 * lead_i + avf
    iii = avf - 0.5 * lead_i
    avr = -0.75 * lead_i - 0.5 * avf
    avl = 0.75 * lead_i - 0.5 * avf
    limb = torch.stack([lead_i, ii, iii, avr, avl, avf], dim=1)
    return torch.cat([limb, chest], dim=1)


@dataclass
class SSSDConfig:
    n_classes: int = N_CLASSES
    blocks: int = 36
    channels: int = 256  # residual channels C; the S4 layers run on 2C
    skip_channels: int = 256
    d_state: int = 64
    s4_init: str = "legs"
    bidirectional: bool = True
    s4_dropout: float = 0.0
    step_embed_dim: int = 128
    step_hidden: int = 512
    class_embed_dim: int = 128
    null_class: bool = False  # one extra embedding row (index n_classes) for classifier-free guidance

    @property
    def n_leads(self) -> int:
        return len(MODELLED_LEADS)


PRESETS: dict[str, SSSDConfig] = {
    "tiny": SSSDConfig(blocks=2, channels=16, skip_channels=16, d_state=16, step_embed_dim=32, step_hidden=64, class_embed_dim=16),
    # the learning check's CPU preset: tiny at 32 channels plus a null class for guidance (docs/generators.md)
    "check": SSSDConfig(blocks=2, channels=32, skip_channels=32, d_state=16, step_embed_dim=32, step_hidden=64, class_embed_dim=16,
                        null_class=True),
    "paper": SSSDConfig(),
}


class SSSDBlock(nn.Module):
    """(x (B, C, L), step (B, S), cls (B, E)) -> (residual out (B, C, L), skip (B, skip, L))."""

    def __init__(self, cfg: SSSDConfig):
        super().__init__()
        c = cfg.channels
        self.step_proj = nn.Linear(cfg.step_hidden, c)
        self.conv = nn.Conv1d(c, 2 * c, 3, padding=1)
        self.s4_in = S4Layer(2 * c, cfg.d_state, cfg.bidirectional, cfg.s4_init, cfg.s4_dropout)
        self.class_proj = nn.Linear(cfg.class_embed_dim, 2 * c)
        self.s4_out = S4Layer(2 * c, cfg.d_state, cfg.bidirectional, cfg.s4_init, cfg.s4_dropout)
        self.res = nn.utils.parametrizations.weight_norm(nn.Conv1d(c, c, 1))
        self.skip = nn.utils.parametrizations.weight_norm(nn.Conv1d(c, cfg.skip_channels, 1))
        for conv in (self.conv, self.res, self.skip):
            nn.init.kaiming_normal_(conv.weight)

    def forward(self, x: torch.Tensor, step: torch.Tensor, cls: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv(x + self.step_proj(step)[:, :, None])
        h = self.s4_in(h) + self.class_proj(cls)[:, :, None]
        h = self.s4_out(h)
        filt, gate = h.chunk(2, dim=1)
        h = torch.tanh(filt) * torch.sigmoid(gate)
        return (x + self.res(h)) * math.sqrt(0.5), self.skip(h)


class SSSD(nn.Module):
    """SSSD-ECG network over the 8 modelled leads: ``(B, 8, L), (B,), (B,) -> (B, 8, L)``."""

    modelled_leads = MODELLED_INDEX

    def __init__(self, cfg: SSSDConfig):
        super().__init__()
        self.cfg = cfg
        self.inp = nn.Conv1d(cfg.n_leads, cfg.channels, 1)
        self.step = StepEmbedding(cfg.step_embed_dim, cfg.step_hidden)
        self.classes = nn.Embedding(cfg.n_classes + int(cfg.null_class), cfg.class_embed_dim)  # one-hot × embedding matrix
        self.blocks = nn.ModuleList(SSSDBlock(cfg) for _ in range(cfg.blocks))
        self.skip_out = nn.Conv1d(cfg.skip_channels, cfg.skip_channels, 1)
        self.out = nn.Conv1d(cfg.skip_channels, cfg.n_leads, 1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.inp(x_t))
        step, cls = self.step(t), self.classes(y)
        skips = 0
        for block in self.blocks:
            x, skip = block(x, step, cls)
            skips = skips + skip
        h = F.relu(self.skip_out(skips * math.sqrt(1.0 / len(self.blocks))))
        return self.out(h)

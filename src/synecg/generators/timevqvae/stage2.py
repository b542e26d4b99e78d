"""Stage 2 of TimeVQVAE: MaskGIT bidirectional transformer priors over the stage-1 tokens.

The LF prior models p(LF tokens | class); the HF prior models p(HF tokens | LF tokens, class)
(Lee et al. 2023, sec. 3.2; MaskGIT, Chang et al. 2022). A class token is prepended; index
``n_classes`` means "unconditional" and replaces the label with probability ``p_unconditional``
during training, which makes classifier-free guidance possible at sampling time.
Training masks a cosine-scheduled share of the tokens (``Stage2Config.mask_schedule``; the
reference keeps floor(cos(pi u/2) N) tokens known) and scores the cross-entropy on the masked
positions only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from synecg.generators.timevqvae.config import PriorConfig, Stage2Config


MASK_SCHEDULES = ("timevqvae", "maskgit")


def mask_ratio(u: torch.Tensor) -> torch.Tensor:
    """Cosine schedule gamma(u) = cos(pi u / 2), u in [0, 1]."""
    return torch.cos(0.5 * math.pi * u)


def random_mask(n_batch: int, n_tokens: int, generator: torch.Generator, device,
                schedule: str = "timevqvae") -> torch.Tensor:
    """(B, N) bool, True = masked; u ~ U(0, 1) per sample, at least one position masked.

    ``"timevqvae"`` (the reference code, ML4ITS/TimeVQVAE ``_randomly_mask_tokens``): floor(gamma(u) N)
    positions stay KNOWN, the rest are masked (1 - 2/pi ~ 0.36 masked on average).
    ``"maskgit"`` (Chang et al. 2022, eq. 3 read literally): ceil(gamma(u) N) positions are masked
    (2/pi ~ 0.64 on average). Vectorised: the k smallest of N uniform scores are the masked positions.
    """
    if schedule not in MASK_SCHEDULES:
        raise ValueError(f"unknown mask schedule {schedule!r}; choose one of {MASK_SCHEDULES}")
    u = torch.rand(n_batch, generator=generator, device=device)
    g = mask_ratio(u) * n_tokens
    k = (n_tokens - torch.floor(g)) if schedule == "timevqvae" else torch.ceil(g)
    k = k.clamp(1, n_tokens)
    scores = torch.rand(n_batch, n_tokens, generator=generator, device=device)
    ranks = scores.argsort(dim=1).argsort(dim=1)
    return ranks < k[:, None]


class Prior(nn.Module):
    """Bidirectional transformer: tokens (B, N) (mask id = codebook size) + class (B,) -> logits (B, N, K).

    With ``cond_tokens``/``cond_codebook`` (the HF prior), LF tokens (B, N_c) are embedded,
    resized to the HF latent width and added to the HF embeddings of every frequency row.
    """

    def __init__(self, cfg: PriorConfig, codebook_size: int, n_tokens: int, n_classes: int,
                 rows: int = 1, cond_tokens: int = 0, cond_codebook: int = 0):
        super().__init__()
        self.codebook_size, self.n_tokens, self.n_classes, self.rows = codebook_size, n_tokens, n_classes, rows
        self.mask_id = codebook_size
        self.token_emb = nn.Embedding(codebook_size + 1, cfg.hidden)
        self.class_emb = nn.Embedding(n_classes + 1, cfg.hidden)
        self.pos_emb = nn.Parameter(torch.randn(1, n_tokens + 1, cfg.hidden) * 0.02)
        self.cond_emb = nn.Embedding(cond_codebook, cfg.hidden) if cond_tokens else None
        self.cond_proj = nn.Linear(cfg.hidden, cfg.hidden) if cond_tokens else None
        layer = nn.TransformerEncoderLayer(cfg.hidden, cfg.heads, cfg.ff_mult * cfg.hidden, cfg.dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.blocks = nn.TransformerEncoder(layer, cfg.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(cfg.hidden)
        self.head = nn.Linear(cfg.hidden, codebook_size)
        self.drop = nn.Dropout(cfg.dropout)

    def forward(self, tokens: torch.Tensor, labels: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = self.token_emb(tokens)
        if self.cond_emb is not None:
            c = self.cond_emb(cond).transpose(1, 2)  # (B, H, N_c)
            width = self.n_tokens // self.rows
            c = F.interpolate(c, size=width, mode="nearest").repeat(1, 1, self.rows)
            h = h + self.cond_proj(c.transpose(1, 2))
        h = torch.cat([self.class_emb(labels)[:, None], h], dim=1) + self.pos_emb
        h = self.blocks(self.drop(h))
        return self.head(self.norm(h[:, 1:]))


class Priors(nn.Module):
    """The LF and HF priors of one TimeVQVAE, trained together (one stage-2 checkpoint)."""

    def __init__(self, cfg: Stage2Config, codebook_size: int, n_tokens_lf: int, n_tokens_hf: int,
                 hf_rows: int, n_classes: int):
        super().__init__()
        self.cfg, self.n_classes = cfg, n_classes
        self.lf = Prior(cfg.lf, codebook_size, n_tokens_lf, n_classes)
        self.hf = Prior(cfg.hf, codebook_size, n_tokens_hf, n_classes, rows=hf_rows,
                        cond_tokens=n_tokens_lf, cond_codebook=codebook_size)

    def drop_labels(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Replace labels by "unconditional" (index n_classes) with probability p_unconditional."""
        drop = torch.rand(labels.shape, generator=generator, device=labels.device) < self.cfg.p_unconditional
        return torch.where(drop, torch.full_like(labels, self.n_classes), labels)

    def loss(self, tokens_lf: torch.Tensor, tokens_hf: torch.Tensor, labels: torch.Tensor,
             generator: torch.Generator) -> dict[str, torch.Tensor]:
        """Masked-token cross-entropy of both priors (masked positions only)."""
        labels = self.drop_labels(labels, generator)
        out = {}
        for name, prior, tokens, cond in (("lf", self.lf, tokens_lf, None), ("hf", self.hf, tokens_hf, tokens_lf)):
            mask = random_mask(tokens.shape[0], tokens.shape[1], generator, tokens.device, self.cfg.mask_schedule)
            logits = prior(torch.where(mask, prior.mask_id, tokens), labels, cond)
            out[f"ce_{name}"] = F.cross_entropy(logits[mask].float(), tokens[mask])
        out["loss"] = out["ce_lf"] + out["ce_hf"]
        return out

"""Iterative decoding (MaskGIT, Chang et al. 2022) with classifier-free guidance, vectorised.

Every sample of a batch unmasks the same number of tokens per step (the cosine schedule), so the
re-masking is one top-k over the batch: no Python loop over samples. LF tokens are decoded first,
then HF tokens conditioned on them; stage 1 turns both into signals.
"""

from __future__ import annotations

import math

import torch

from synecg.generators.timevqvae.config import SamplingConfig
from synecg.generators.timevqvae.stage2 import Prior, Priors


def guided_logits(prior: Prior, tokens: torch.Tensor, labels: torch.Tensor, cond: torch.Tensor | None,
                  cfg_scale: float) -> torch.Tensor:
    """logits = uncond + s (cond - uncond) (Ho & Salimans 2022); s = 1 runs the conditional pass only."""
    if cfg_scale == 1.0:
        return prior(tokens, labels, cond).float()
    uncond = torch.full_like(labels, prior.n_classes)
    both = prior(torch.cat([tokens, tokens]), torch.cat([labels, uncond]),
                 None if cond is None else torch.cat([cond, cond])).float()
    c, u = both.chunk(2)
    return u + cfg_scale * (c - u)


def n_masked_after(step: int, steps: int, n_tokens: int, n_unknown: int) -> int:
    """Tokens left masked after ``step`` (0-based): floor(N cos(pi/2 (step+1)/T)), at least one while
    steps remain and fewer than before; zero after the last step."""
    if step == steps - 1:
        return 0
    k = math.floor(n_tokens * math.cos(0.5 * math.pi * (step + 1) / steps))
    return max(1, min(n_unknown - 1, k))


def _gumbel(shape, generator: torch.Generator, device) -> torch.Tensor:
    u = torch.rand(shape, generator=generator, device=device)
    return -torch.log((-torch.log(u.clamp_min(1e-20))).clamp_min(1e-20))


@torch.no_grad()
def decode_branch(prior: Prior, labels: torch.Tensor, steps: int, temperature: float, cfg_scale: float,
                  generator: torch.Generator, cond: torch.Tensor | None = None) -> torch.Tensor:
    """Labels (B,) -> tokens (B, N) after ``steps`` passes of parallel prediction and re-masking."""
    b, n = labels.shape[0], prior.n_tokens
    device = labels.device
    tokens = torch.full((b, n), prior.mask_id, dtype=torch.long, device=device)
    n_unknown = n
    for step in range(steps):
        logits = guided_logits(prior, tokens, labels, cond, cfg_scale)
        sampled = (logits + _gumbel(logits.shape, generator, device)).argmax(-1)
        unknown = tokens == prior.mask_id
        sampled = torch.where(unknown, sampled, tokens)
        k = n_masked_after(step, steps, n, n_unknown)
        if k > 0:
            logp = torch.log_softmax(logits, -1).gather(-1, sampled[..., None])[..., 0]
            anneal = temperature * (1.0 - (step + 1) / steps)
            confidence = logp + anneal * _gumbel(logp.shape, generator, device)
            confidence = confidence.masked_fill(~unknown, float("inf"))  # known tokens stay fixed
            remask = confidence.topk(k, dim=1, largest=False).indices
            sampled = sampled.scatter(1, remask, prior.mask_id)
        tokens, n_unknown = sampled, k
    return tokens


@torch.no_grad()
def sample_tokens(priors: Priors, labels: torch.Tensor, cfg: SamplingConfig,
                  generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Class labels (B,) -> (LF tokens (B, N_lf), HF tokens (B, N_hf))."""
    lf = decode_branch(priors.lf, labels, cfg.steps_lf, cfg.temperature_lf, cfg.cfg_scale, generator)
    hf = decode_branch(priors.hf, labels, cfg.steps_hf, cfg.temperature_hf, cfg.cfg_scale, generator, cond=lf)
    return lf, hf

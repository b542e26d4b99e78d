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
PRIOR_ARCHITECTURES = ("encoder", "ml4its-2024")


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


class _RMSNorm(nn.Module):
    """RMSNorm whose gain is 1 + g with g starting at 0 (x-transformers' ``unit_offset``), so weight
    decay pulls the gain towards 1, as in the reference."""

    def __init__(self, dim: int):
        super().__init__()
        self.g = nn.Parameter(torch.zeros(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (x.shape[-1],), weight=1.0 + self.g)


class _Attention(nn.Module):
    """Multi-head self-attention with ``heads x head_dim`` inner width (independent of the model width)."""

    def __init__(self, dim: int, heads: int, head_dim: int, dropout: float):
        super().__init__()
        self.heads, self.dropout = heads, dropout
        inner = heads * head_dim
        self.to_q, self.to_k, self.to_v = (nn.Linear(dim, inner, bias=False) for _ in range(3))
        self.to_out = nn.Linear(inner, dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        q, k, v = (f(x).view(b, n, self.heads, -1).transpose(1, 2) for f in (self.to_q, self.to_k, self.to_v))
        h = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        return self.to_out(h.transpose(1, 2).reshape(b, n, -1))


class _Blocks(nn.Module):
    """The authors' transformer trunk (x-transformers 1.31.6 ``ContinuousTransformerWrapper`` with a
    pre-norm RMSNorm ``Encoder``, as configured by ML4ITS/TimeVQVAE 65dd0fd): a bias-free projection
    in, a bias-free LayerNorm, alternating attention and GELU feed-forward branches on a residual
    stream, each skipped with probability ``dropout`` in training (layer dropout), a final RMSNorm (every
    RMSNorm with a unit offset) and a
    bias-free projection out. Re-implemented from torch modules; the parameter count is tested against
    the reference (tests/test_timevqvae.py)."""

    def __init__(self, dim_in: int, cfg: PriorConfig):
        super().__init__()
        d, p = cfg.hidden, cfg.dropout
        self.layer_dropout = p
        self.project_in = nn.Linear(dim_in, d, bias=False)
        self.post_emb_norm = nn.LayerNorm(d, elementwise_affine=True, bias=False)
        branches = []
        for _ in range(cfg.layers):
            branches.append(nn.ModuleList([_RMSNorm(d), _Attention(d, cfg.heads, cfg.head_dim, p)]))
            ff = nn.Sequential(nn.Linear(d, d * cfg.ff_mult), nn.GELU(), nn.Dropout(p), nn.Linear(d * cfg.ff_mult, d))
            branches.append(nn.ModuleList([_RMSNorm(d), ff]))
        self.branches = nn.ModuleList(branches)
        self.final_norm = _RMSNorm(d)
        self.project_out = nn.Linear(d, dim_in, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.post_emb_norm(self.project_in(x))
        skip = torch.rand(len(self.branches)) < self.layer_dropout if self.training else None
        for i, (norm, branch) in enumerate(self.branches):
            if skip is None or not skip[i]:
                x = x + branch(norm(x))
        return self.project_out(self.final_norm(x))


class RefPrior(nn.Module):
    """The authors' 2024 prior (ML4ITS/TimeVQVAE 65dd0fd ``BidirectionalTransformer``), same interface
    as ``Prior``: tokens (B, N) + class (B,) [+ LF tokens] -> logits (B, N, K).

    Embeddings of width E = ``cfg.hidden`` (the reference uses stage 1's hid_dim, 64 = the prior width
    in both of the authors' configs). Known tokens' embeddings get dropout ``emb_dropout`` in training;
    a learned N(0, 1) position embedding is added; a class token is prepended; the trunk is ``_Blocks``;
    a GELU head maps back to E and the logits are the dot products with the token embeddings plus a
    learned per-position bias. The HF prior embeds the LF tokens too, stretches them to the HF length
    (nearest along the flattened token sequence, then two convolutions) and concatenates them with the
    HF embeddings (width 2E).
    """

    def __init__(self, cfg: PriorConfig, codebook_size: int, n_tokens: int, n_classes: int,
                 cond_tokens: int = 0, cond_codebook: int = 0):
        super().__init__()
        e = cfg.hidden
        self.codebook_size, self.n_tokens, self.n_classes = codebook_size, n_tokens, n_classes
        self.mask_id, self.emb_dropout = codebook_size, cfg.emb_dropout
        width = 2 * e if cond_tokens else e
        self.token_emb = nn.Embedding(codebook_size + 1, e)
        if cond_tokens:
            self.cond_emb = nn.Embedding(cond_codebook + 1, e)
            self.upscale = nn.Sequential(nn.Conv1d(e, 2 * e, 3, padding=1), nn.GELU(), nn.BatchNorm1d(2 * e),
                                         nn.Conv1d(2 * e, e, 3, padding=1))
        else:
            self.cond_emb = self.upscale = None
        self.pos_emb = nn.Embedding(n_tokens + 1, width)
        self.class_emb = nn.Embedding(n_classes + 1, width)
        self.blocks = _Blocks(width, cfg)
        self.head = nn.Sequential(nn.Linear(width, e), nn.GELU(), nn.LayerNorm(e, eps=1e-12))
        self.bias = nn.Parameter(torch.zeros(n_tokens, codebook_size + 1))

    def _embed(self, emb: nn.Embedding, tokens: torch.Tensor, mask_id: int) -> torch.Tensor:
        h = emb(tokens)
        if self.training and self.emb_dropout > 0:
            h = torch.where((tokens == mask_id)[..., None], h, F.dropout(h, self.emb_dropout))
        return h

    def forward(self, tokens: torch.Tensor, labels: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = self._embed(self.token_emb, tokens, self.mask_id)
        if self.cond_emb is not None:
            c = self._embed(self.cond_emb, cond, self.cond_emb.num_embeddings - 1).transpose(1, 2)
            c = self.upscale(F.interpolate(c, size=self.n_tokens, mode="nearest")).transpose(1, 2)
            h = torch.cat([c, h], dim=-1)
        h = torch.cat([self.class_emb(labels)[:, None], h + self.pos_emb.weight[: self.n_tokens]], dim=1)
        h = self.head(self.blocks(h))[:, 1:]
        return (h @ self.token_emb.weight.T + self.bias)[..., :-1]


def build_prior(cfg: PriorConfig, codebook_size: int, n_tokens: int, n_classes: int, rows: int = 1,
                cond_tokens: int = 0, cond_codebook: int = 0) -> nn.Module:
    """The prior of ``cfg.architecture`` (``PRIOR_ARCHITECTURES``)."""
    if cfg.architecture == "encoder":
        return Prior(cfg, codebook_size, n_tokens, n_classes, rows, cond_tokens, cond_codebook)
    if cfg.architecture == "ml4its-2024":
        return RefPrior(cfg, codebook_size, n_tokens, n_classes, cond_tokens, cond_codebook)
    raise ValueError(f"unknown prior architecture {cfg.architecture!r}; choose one of {PRIOR_ARCHITECTURES}")


class Priors(nn.Module):
    """The LF and HF priors of one TimeVQVAE, trained together (one stage-2 checkpoint)."""

    def __init__(self, cfg: Stage2Config, codebook_size: int, n_tokens_lf: int, n_tokens_hf: int,
                 hf_rows: int, n_classes: int):
        super().__init__()
        self.cfg, self.n_classes = cfg, n_classes
        self.lf = build_prior(cfg.lf, codebook_size, n_tokens_lf, n_classes)
        self.hf = build_prior(cfg.hf, codebook_size, n_tokens_hf, n_classes, rows=hf_rows,
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

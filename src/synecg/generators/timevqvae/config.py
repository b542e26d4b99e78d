"""TimeVQVAE settings: one dataclass per stage, presets, and the config-section resolver.

Torch-free on purpose: the Snakemake rules import it at parse time to pass each stage exactly its
own settings as ``params`` (changing a prior setting re-runs stage 2 and sampling, not stage 1).

Presets (see docs/timevqvae.md for why ``ecg`` differs from ``paper``):

- ``paper``: the authors' 2024 model (ML4ITS/TimeVQVAE 65dd0fd encoder/decoder, ``ml4its-2024``) with their ECG configs (AI4HA-UPC ``config_{ptbxl,chapman}.yaml``): n_fft 16,
  init dim 16 (PTB-XL) / 32 (Chapman), hidden 64, 4 residual blocks, widths 8/32 (PTB-XL) or
  16/16 (Chapman), dropout 0.3, codebooks of 64, priors 64/4/2, choice temperature 4, AdamW 5e-4 (decay 0.01), warm-up, cosine to 1e-6,
  500k stage-1 and 1M stage-2 steps.
- ``ecg``: n_fft 4 (LF/HF crossover ~12 Hz at 100 Hz instead of ~3 Hz), init 32, widths giving
  ~31 LF and ~250 HF tokens, codebooks of 1024 with 8-dimensional codes and k-means init.
- ``tiny``: tests and the demo study; trains in seconds on a CPU.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Mapping

PRESETS: tuple[str, ...] = ("paper", "ecg", "tiny")
PAPER_MIN_LR = 1e-6  # the reference's linear_warmup_cosine_annealingLR floor (AdamW, default decay 0.01)


@dataclass(frozen=True)
class Stage1Config:
    """VQ-VAE in the time-frequency domain (Lee et al. 2023, section 3.1)."""

    architecture: str = "separable"  # "separable" (ours) or "ml4its-2024" (the authors' code; stage1.py)
    n_fft: int = 4                 # STFT size; LF/HF crossover ~ fs / (2 n_fft)
    init_dim: int = 32             # channels after the input convolution
    hid_dim: int = 64              # latent (pre-quantiser) channels
    max_dim: int = 256             # cap on the channels that double at each down-sampling
    n_res_blocks: int = 2          # separable: at the bottleneck; ml4its-2024: per level; encoder and decoder each
    dropout: float = 0.0           # in the residual blocks (ml4its-2024 only)
    width_lf: int = 32             # target number of LF latent positions along time
    width_hf: int = 128            # target number of HF latent positions along time (per frequency row)
    codebook_size: int = 1024      # entries per codebook (LF and HF have one each)
    codebook_dim: int = 8          # low-dimensional code space (projected in/out of hid_dim)
    kmeans_init: bool = True       # initialise codebooks by k-means on the first batch
    ema_decay: float = 0.8         # EMA codebook decay
    commitment_weight: float = 1.0
    batch_size: int = 128
    steps: int = 20000
    lr: float = 5e-3
    min_lr_ratio: float = 0.1      # cosine decay to lr * min_lr_ratio
    warmup_fraction: float = 0.05
    weight_decay: float = 1e-5
    checkpoint_every: int = 1000
    log_every: int = 100


@dataclass(frozen=True)
class PriorConfig:
    """One bidirectional transformer prior (MaskGIT, Chang et al. 2022)."""

    hidden: int = 128
    layers: int = 4
    heads: int = 2
    ff_mult: int = 4
    dropout: float = 0.3
    # "encoder": PyTorch TransformerEncoder blocks over token + position embeddings (ours);
    # "ml4its-2024": the authors' 2024 prior (stage2.py, ``RefPrior``): RMSNorm pre-norm blocks with
    # 64-wide heads, layer dropout, dropout on known-token embeddings, logits tied to the token embeddings
    architecture: str = "encoder"
    emb_dropout: float = 0.0       # ml4its-2024: dropout on the embeddings of known tokens (reference 0.3)
    head_dim: int = 64             # ml4its-2024: width per attention head (x-transformers' default)


@dataclass(frozen=True)
class Stage2Config:
    """The LF prior, then the HF prior conditioned on LF tokens; class token dropped for CFG."""

    lf: PriorConfig = field(default_factory=PriorConfig)
    hf: PriorConfig = field(default_factory=lambda: PriorConfig(hidden=64, layers=2, heads=2))
    p_unconditional: float = 0.2   # probability of replacing the class by "unconditional" in training
    mask_schedule: str = "timevqvae"  # "timevqvae": floor(cos(pi u/2) N) tokens kept known (reference); "maskgit": ceil(...) masked
    batch_size: int = 256
    steps: int = 40000
    lr: float = 5e-3
    min_lr_ratio: float = 0.1
    warmup_fraction: float = 0.05
    weight_decay: float = 1e-5
    checkpoint_every: int = 1000
    log_every: int = 100


@dataclass(frozen=True)
class SamplingConfig:
    """Iterative decoding (MaskGIT): ``steps_*`` passes per branch, cosine re-masking schedule."""

    steps_lf: int = 10
    steps_hf: int = 10
    cfg_scale: float = 1.0         # 1.0: one (conditional) pass per step; otherwise two
    temperature_lf: float = 10.0   # choice temperature (Gumbel noise on confidences), annealed to 0
    temperature_hf: float = 0.0


@dataclass(frozen=True)
class TimeVQVAEConfig:
    stage1: Stage1Config = field(default_factory=Stage1Config)
    stage2: Stage2Config = field(default_factory=Stage2Config)
    sampling: SamplingConfig = field(default_factory=SamplingConfig)


def preset(name: str, dataset: str = "ptbxl") -> TimeVQVAEConfig:
    """A named preset. ``paper`` depends on the dataset (Chapman: init 32, widths 16/16; PTB-XL and
    merged: init 16, widths 8/32)."""
    if name == "ecg":
        return TimeVQVAEConfig()
    if name == "paper":
        chapman = dataset == "chapman"
        prior = PriorConfig(hidden=64, layers=4, heads=2, ff_mult=1, dropout=0.3, architecture="ml4its-2024",
                            emb_dropout=0.3)
        return TimeVQVAEConfig(
            stage1=Stage1Config(
                architecture="ml4its-2024", n_fft=16, init_dim=32 if chapman else 16, hid_dim=64,
                max_dim=512, n_res_blocks=4, dropout=0.3, width_lf=16 if chapman else 8,
                width_hf=16 if chapman else 32, codebook_size=64, codebook_dim=64, kmeans_init=False,
                batch_size=128, steps=500_000, lr=5e-4, min_lr_ratio=PAPER_MIN_LR / 5e-4,
                warmup_fraction=0.1, weight_decay=0.01, checkpoint_every=10_000, log_every=1000,
            ),
            stage2=Stage2Config(
                lf=prior, hf=prior, batch_size=256, steps=1_000_000, lr=5e-4,
                min_lr_ratio=PAPER_MIN_LR / 5e-4, warmup_fraction=0.1, weight_decay=0.01,
                checkpoint_every=10_000, log_every=1000,
            ),
            sampling=SamplingConfig(temperature_lf=4.0, temperature_hf=4.0),
        )
    if name == "tiny":
        return TimeVQVAEConfig(
            stage1=Stage1Config(
                n_fft=8, init_dim=32, hid_dim=32, max_dim=64, n_res_blocks=1, width_lf=32, width_hf=64,
                codebook_size=32, codebook_dim=4, batch_size=16, steps=150, lr=1e-2,
                checkpoint_every=50, log_every=25,
            ),
            stage2=Stage2Config(
                lf=PriorConfig(hidden=32, layers=1, heads=2, ff_mult=2, dropout=0.1),
                hf=PriorConfig(hidden=32, layers=1, heads=2, ff_mult=2, dropout=0.1),
                batch_size=32, steps=100, lr=3e-3, checkpoint_every=50, log_every=25,
            ),
            sampling=SamplingConfig(steps_lf=6, steps_hf=6),
        )
    raise ValueError(f"unknown TimeVQVAE preset {name!r}; choose one of {PRESETS}")


def resolve(section: Mapping[str, Any] | None, dataset: str) -> TimeVQVAEConfig:
    """The config of ``generators.timevqvae``: its preset, then its stage1/stage2/sampling overrides.

    Unknown keys raise (the schema catches them first; this guards direct library use).
    """
    section = dict(section or {})
    cfg = preset(section.get("preset", "tiny"), dataset)
    s2 = dict(section.get("stage2", {}))
    lf = _override(cfg.stage2.lf, s2.pop("lf", {}), "stage2.lf")
    hf = _override(cfg.stage2.hf, s2.pop("hf", {}), "stage2.hf")
    return TimeVQVAEConfig(
        stage1=_override(cfg.stage1, section.get("stage1", {}), "stage1"),
        stage2=replace(_override(cfg.stage2, s2, "stage2"), lf=lf, hf=hf),
        sampling=_override(cfg.sampling, section.get("sampling", {}), "sampling"),
    )


def from_dict(d: Mapping[str, Any]) -> TimeVQVAEConfig:
    """Inverse of ``asdict`` (configs travel through checkpoints and Snakemake params as dicts)."""
    s2 = dict(d["stage2"])
    return TimeVQVAEConfig(
        stage1=Stage1Config(**d["stage1"]),
        stage2=Stage2Config(**{**s2, "lf": PriorConfig(**s2["lf"]), "hf": PriorConfig(**s2["hf"])}),
        sampling=SamplingConfig(**d["sampling"]),
    )


def stage_params(cfg: TimeVQVAEConfig) -> dict[str, dict[str, Any]]:
    """Plain dicts per stage, for Snakemake ``params`` (one per rule, so its trigger is precise)."""
    return {"stage1": asdict(cfg.stage1), "stage2": asdict(cfg.stage2), "sampling": asdict(cfg.sampling)}


def _override(obj, values: Mapping[str, Any], where: str):
    known = {f.name for f in fields(obj)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"generators.timevqvae.{where}: unknown keys {unknown}; known: {sorted(known)}")
    return replace(obj, **values)

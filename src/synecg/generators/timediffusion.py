"""Time-Diffusion denoiser: Béjar's class-conditional 1D U-Net ("UNET1C", AI4HA-UPC TimeDiffusion).

(B, 12, L) noisy ECG in mV, (B,) timesteps, (B,) class indices -> (B, 12, L) estimate of the clean
signal x0 (Time-Diffusion predicts the sample, not the noise). The diffusion process, loss and
samplers live elsewhere; this module is the network only.

The authors' ``CondUNet1DModel`` is diffusers' ``UNet1DModel`` (the Dance-Diffusion blocks:
``DownBlock1D``/``AttnDownBlock1D``, ``UNetMidBlock1D``, ``AttnUpBlock1D``/``UpBlock1D``) with a
learned class embedding broadcast over time and concatenated to the input as extra channels. A plain
``UNet1DModel`` given those extra input channels builds exactly the same layers, so this class is a
thin conditional wrapper around one. Facts about that architecture that the authors' config names
hide (checked against diffusers in tests/test_timediffusion.py and explained in docs/timediffusion.md):

* These blocks ignore ``temb``: the network never sees the timestep. The authors' time MLP
  (positional 32 -> 128 -> 128, 20,736 weights) is built but unused. ``time_channels > 0`` is our
  opt-in alternative that feeds sinusoidal timestep features as input channels; 0 is faithful.
* These blocks ignore ``layers_per_block``: every down/up block holds three residual conv blocks and
  the mid block six, so the authors' "r2" and "r3" configs are the same network. We have no such key.
* Every down block halves the length before its convolutions and the mid block halves it once
  more, so the length must be a multiple of 2 ** (levels + 1); inputs are zero-padded at the end
  (the authors padded 1000 -> 1024) and the output is cropped back.

Speed without changing the function: diffusers' fixed-kernel resamplers build a dense (C, C, k)
weight with the kernel on its diagonal on every call, and its attention runs unfused matmuls. We
swap in a depthwise convolution and ``scaled_dot_product_attention`` that keep the same weights
(state-dict keys unchanged) and compute the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F
from diffusers import UNet1DModel
from diffusers.models.embeddings import Timesteps
from diffusers.models.unets import unet_1d_blocks as blocks1d
from torch import Tensor, nn

from synecg.constants import N_CLASSES, N_LEADS

HEAD_CHANNELS = 32  # diffusers' 1D attention uses channels // 32 heads


@dataclass
class TimeDiffusionConfig:
    """Every size of the Time-Diffusion U-Net; presets below hold the authors' configurations."""

    n_leads: int = N_LEADS  # input and output channels (leads, canonical order)
    n_classes: int = N_CLASSES  # rhythm classes (synecg.constants.CLASSES)
    signal_length: int = 1000  # samples per record (100 Hz: 1000, 500 Hz: 5000)
    channels: tuple[int, ...] = (32, 64, 128)  # block_out_channels, one per resolution level
    attention_levels: int = 1  # the deepest levels whose down/up blocks carry self-attention
    class_embed_dim: int = 6  # learned class embedding, broadcast over time, concatenated as input channels
    time_channels: int = 0  # 0: blind to t, as the authors' network; k: k sinusoidal t features as input channels
    pad_multiple: int = 128  # zero-pad the length to a multiple of this (1000 -> 1024, 5000 -> 5120)
    null_class: bool = False  # one extra embedding row (index n_classes) for classifier-free guidance

    @property
    def downsampling(self) -> int:
        """Total length reduction: each level halves it, and the mid block once more."""
        return 2 ** (len(self.channels) + 1)

    @property
    def padded_length(self) -> int:
        return padded_length(self.signal_length, self.pad_multiple)

    def validate(self) -> None:
        if self.n_leads < 1 or self.n_classes < 1 or self.signal_length < 1:
            raise ValueError(f"n_leads, n_classes, signal_length must be positive: {self}")
        if not self.channels or min(self.channels) < 1:
            raise ValueError(f"channels must be a non-empty tuple of positive widths, got {self.channels}")
        if not 0 <= self.attention_levels <= len(self.channels):
            raise ValueError(f"attention_levels={self.attention_levels} must lie in 0..{len(self.channels)}")
        for width in attention_widths(self):
            heads = width // HEAD_CHANNELS
            if heads < 1 or width % heads:
                raise ValueError(
                    f"attention at width {width} needs width >= {HEAD_CHANNELS} and divisible by "
                    f"width // {HEAD_CHANNELS} (diffusers' head split); channels={self.channels}, "
                    f"attention_levels={self.attention_levels}, n_leads={self.n_leads}"
                )
        if self.class_embed_dim < 1 or self.time_channels < 0 or self.time_channels % 2:
            raise ValueError(
                f"class_embed_dim must be >= 1 and time_channels an even number >= 0 "
                f"(sin/cos pairs), got {self.class_embed_dim}, {self.time_channels}"
            )
        if self.pad_multiple < 1 or self.pad_multiple % self.downsampling:
            raise ValueError(
                f"pad_multiple={self.pad_multiple} must be a positive multiple of the down-sampling "
                f"factor {self.downsampling} (2 ** (levels + 1) for channels {self.channels})"
            )


def attention_widths(cfg: TimeDiffusionConfig) -> set[int]:
    """Widths at which self-attention runs: the mid block at the deepest width, each attention
    level's down block at its width, and its up block at the width it hands to the next-shallower
    level (the leads for the shallowest)."""
    outer = (cfg.n_leads, *cfg.channels[:-1])
    levels = range(len(cfg.channels) - cfg.attention_levels, len(cfg.channels))
    return {cfg.channels[-1], *(cfg.channels[j] for j in levels), *(outer[j] for j in levels)}


def padded_length(length: int, multiple: int) -> int:
    """The smallest multiple of ``multiple`` that holds ``length`` samples."""
    return -(-length // multiple) * multiple


PRESETS: dict[str, TimeDiffusionConfig] = {
    # tests and the demo: two levels, attention only in the mid block (its width must be >= 32)
    "tiny": TimeDiffusionConfig(channels=(16, 32), attention_levels=0),
    # the learning check's CPU preset: tiny plus a null class for classifier-free guidance (docs/generators.md)
    "check": TimeDiffusionConfig(channels=(16, 32), attention_levels=0, null_class=True),
    # conf/model/ECG_PTBXL-s1024-l32-124-r2-a1-positional-embedding-6.yaml
    "124-r2-a1": TimeDiffusionConfig(channels=(32, 64, 128), attention_levels=1),
    # conf/model/ECG_PTBXL-s1024-l32-1248-r3-a2-positional-embedding-6.yaml
    "1248-r3-a2": TimeDiffusionConfig(channels=(32, 64, 128, 256), attention_levels=2),
}


def preset(name: str, **overrides) -> TimeDiffusionConfig:
    """A named configuration with some fields replaced, validated (``preset("1248-r3-a2", signal_length=5000)``)."""
    if name not in PRESETS:
        raise ValueError(f"unknown Time-Diffusion preset {name!r}; known: {sorted(PRESETS)}")
    if "channels" in overrides:
        overrides["channels"] = tuple(int(c) for c in overrides["channels"])
    cfg = replace(PRESETS[name], **overrides)
    cfg.validate()
    return cfg


class DepthwiseResample1d(nn.Module):
    """Fixed-kernel 2x down- or up-sampling as a depthwise (grouped) convolution.

    The same function and the same ``kernel`` buffer as diffusers' ``Downsample1d``/``Upsample1d``
    (reflect padding, stride 2), which instead build a dense (C, C, k) weight that is zero off the
    diagonal: C times the arithmetic and a fresh allocation on every call.
    """

    def __init__(self, kernel: Tensor, up: bool):
        super().__init__()
        self.up = up
        self.pad = kernel.shape[0] // 2 - 1  # from the down-sampling kernel length, as diffusers
        self.register_buffer("kernel", kernel.detach().clone())

    @classmethod
    def like(cls, module: nn.Module) -> "DepthwiseResample1d":
        return cls(module.kernel, up=isinstance(module, blocks1d.Upsample1d))

    def forward(self, x: Tensor, temb: Tensor | None = None) -> Tensor:
        channels = x.shape[1]
        weight = self.kernel.to(x.dtype)[None, None, :].expand(channels, 1, -1).contiguous()
        if self.up:
            x = F.pad(x, ((self.pad + 1) // 2,) * 2, mode="reflect")
            return F.conv_transpose1d(x, weight, stride=2, padding=self.pad * 2 + 1, groups=channels)
        x = F.pad(x, (self.pad,) * 2, mode="reflect")
        return F.conv1d(x, weight, stride=2, groups=channels)


class FusedSelfAttention1d(nn.Module):
    """diffusers' ``SelfAttention1d`` (GroupNorm(1), multi-head attention over time, residual) on
    ``scaled_dot_product_attention``: the same weights under the same names, one fused kernel."""

    def __init__(self, module: blocks1d.SelfAttention1d):
        super().__init__()
        self.channels, self.num_heads = module.channels, module.num_heads
        self.group_norm, self.query, self.key, self.value = module.group_norm, module.query, module.key, module.value
        self.proj_attn, self.dropout = module.proj_attn, module.dropout

    def forward(self, x: Tensor) -> Tensor:
        b, c, n = x.shape
        h = self.group_norm(x).transpose(1, 2)  # (B, N, C)
        q, k, v = (proj(h).view(b, n, self.num_heads, -1).transpose(1, 2) for proj in (self.query, self.key, self.value))
        h = F.scaled_dot_product_attention(q, k, v)  # scale 1/sqrt(head_dim), as diffusers' sqrt-sqrt split
        h = self.proj_attn(h.transpose(1, 2).reshape(b, n, c)).transpose(1, 2)
        return self.dropout(h) + x


def _use_fast_modules(unet: nn.Module) -> None:
    """Replace the resamplers and attention layers inside ``unet`` by their faster equivalents."""
    for module in list(unet.modules()):
        for name in ("down", "up"):
            child = getattr(module, name, None)
            if isinstance(child, (blocks1d.Downsample1d, blocks1d.Upsample1d)):
                setattr(module, name, DepthwiseResample1d.like(child))
        attentions = getattr(module, "attentions", None)
        if isinstance(attentions, nn.ModuleList):
            for i, attn in enumerate(attentions):
                if isinstance(attn, blocks1d.SelfAttention1d):
                    attentions[i] = FusedSelfAttention1d(attn)


def block_types(cfg: TimeDiffusionConfig) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """diffusers' down and up block names: plain levels first, attention at the deepest levels."""
    plain = len(cfg.channels) - cfg.attention_levels
    down = ("DownBlock1D",) * plain + ("AttnDownBlock1D",) * cfg.attention_levels
    up = ("AttnUpBlock1D",) * cfg.attention_levels + ("UpBlock1D",) * plain
    return down, up


def diffusers_unet(cfg: TimeDiffusionConfig) -> UNet1DModel:
    """The plain diffusers ``UNet1DModel`` that the authors' ``CondUNet1DModel`` builds: the leads
    plus ``class_embed_dim + time_channels`` conditioning channels in, the leads out."""
    down, up = block_types(cfg)
    return UNet1DModel(
        sample_size=cfg.padded_length,
        in_channels=cfg.n_leads,
        out_channels=cfg.n_leads,
        extra_in_channels=cfg.class_embed_dim + cfg.time_channels,
        time_embedding_type="positional",
        use_timestep_embedding=False,
        down_block_types=down,
        up_block_types=up,
        mid_block_type="UNetMidBlock1D",
        out_block_type=None,
        block_out_channels=tuple(cfg.channels),
    )


class TimeDiffusionUNet(nn.Module):
    """Class-conditional 1D U-Net of Time-Diffusion (Béjar, AI4HA-UPC; Núñez et al. 2024).

    (B, n_leads, L) x_t in mV, (B,) int64 t, (B,) int64 y -> (B, n_leads, L) x0 estimate, with
    L = cfg.signal_length. Inside: zero-pad to ``cfg.padded_length``, append the class embedding
    (and, if ``cfg.time_channels``, sinusoidal t features) as constant-in-time channels, run the
    U-Net, crop to L. With ``seed``, the initial weights come from a private stream seeded by it
    (the global torch RNG is left as it was); without, from the global RNG like any nn.Module.
    """

    def __init__(self, cfg: TimeDiffusionConfig, seed: int | None = None):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        if seed is None:
            self._build()
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                self._build()

    def _build(self) -> None:
        cfg = self.cfg
        self.class_embedding = nn.Embedding(cfg.n_classes + int(cfg.null_class), cfg.class_embed_dim)
        self.time_proj = (
            Timesteps(cfg.time_channels, flip_sin_to_cos=True, downscale_freq_shift=0.0) if cfg.time_channels else None
        )
        self.unet = diffusers_unet(cfg)
        _use_fast_modules(self.unet)

    def conditioning(self, t: Tensor, y: Tensor, length: int) -> Tensor:
        """(B,) t, (B,) y -> (B, class_embed_dim + time_channels, length) constant-in-time channels."""
        features = [self.class_embedding(y)]
        if self.time_proj is not None:
            features.append(self.time_proj(t).to(features[0].dtype))
        cond = torch.cat(features, dim=1)
        return cond[:, :, None].expand(-1, -1, length)

    def forward(self, x_t: Tensor, t: Tensor, y: Tensor) -> Tensor:
        """(B, n_leads, L) noisy signal in mV, (B,) int64 timesteps, (B,) int64 classes -> (B, n_leads, L) x0."""
        b, c, length = x_t.shape
        if c != self.cfg.n_leads or length != self.cfg.signal_length:
            raise ValueError(
                f"Time-Diffusion expects (B, {self.cfg.n_leads}, {self.cfg.signal_length}), got {tuple(x_t.shape)}"
            )
        if t.shape != (b,) or y.shape != (b,):
            raise ValueError(f"t and y must have shape ({b},), got {tuple(t.shape)} and {tuple(y.shape)}")
        full = self.cfg.padded_length
        h = F.pad(x_t, (0, full - length))
        h = torch.cat([h, self.conditioning(t, y, full).to(h.dtype)], dim=1)
        # the U-Net path of UNet1DModel.forward, without the timestep tensor its blocks never read
        skips: list[Tensor] = []
        for block in self.unet.down_blocks:
            h, kept = block(h)
            skips.extend(kept)
        h = self.unet.mid_block(h)
        for block in self.unet.up_blocks:
            h = block(h, (skips.pop(),))
        return h[:, :, :length]


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


__all__ = [
    "PRESETS",
    "TimeDiffusionConfig",
    "TimeDiffusionUNet",
    "block_types",
    "count_parameters",
    "diffusers_unet",
    "padded_length",
    "preset",
]

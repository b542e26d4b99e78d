"""Stage 1 of TimeVQVAE (Lee, Malacarne, Aune 2023, sec. 3.1): a VQ-VAE per frequency band.

The STFT (``stft.py``) splits (B, 12, L) into an LF spectrum (row 0) and an HF spectrum (rows
1..n_fft/2). Each branch has its own encoder -> vector quantiser -> decoder over the
(real, imaginary) x (rows, frames) map; the decoded spectra are inverted and summed:
x_hat = iSTFT(LF_hat) + iSTFT(HF_hat). Convolutions stride along time only, so every frequency row
keeps its own tokens.

Two architectures (``Stage1Config.architecture``):

- ``"separable"`` (presets ``ecg``, ``tiny``): depthwise-separable convolutions, residual blocks at
  the bottleneck only, and each branch sees only its own rows (LF 1 row, HF n_fft/2 rows), so LF has
  W tokens and HF (n_fft/2) W.
- ``"ml4its-2024"`` (preset ``paper``): the encoder/decoder of ML4ITS/TimeVQVAE as of 2024-09
  (commit 65dd0fd), which the paper's authors ran: full 3x4 convolutions, ``n_res_blocks`` residual
  blocks after every down-sampling but the first (and before every up-sampling but the last),
  dropout in the residual blocks, and every branch on all n_fft/2 + 1 rows: the LF input is row 0
  repeated over every row, the HF input is rows 1.. with row 1 repeated in row 0's place; the decoder
  output keeps only its own rows. The decoder up-samples once more than the encoder down-samples and
  resamples the inverted signal linearly to L, as the reference does. Tokens: (n_fft/2 + 1) W per
  band (PTB-XL: 9 x 7 = 63 LF, 9 x 31 = 279 HF).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from vector_quantize_pytorch import VectorQuantize

from synecg.generators.timevqvae import stft as tf
from synecg.generators.timevqvae.config import Stage1Config


def n_downsamplings(frames: int, width: int) -> int:
    """Stride-2 levels that bring ``frames`` STFT frames closest to ``width`` latent positions."""
    return max(0, round(math.log2(max(1.0, frames / width))))


class Snake(nn.Module):
    """Snake activation x + sin^2(a x) / a with a learned per-channel a (Ziyin et al. 2020).

    ``init_range``: a starts uniform in that range (the reference: 0.2-0.5); None: a = 1.
    """

    def __init__(self, channels: int, init_range: tuple[float, float] | None = None):
        super().__init__()
        alpha = torch.ones(1, channels, 1, 1)
        if init_range is not None:
            alpha.uniform_(*init_range)
        self.alpha = nn.Parameter(alpha)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = self.alpha
        return torch.addcmul(x, torch.sin(a * x).square(), (a + 1e-9).reciprocal())


def separable(c_in: int, c_out: int, kernel: tuple[int, int], stride=(1, 1), padding=(0, 0), transpose=False) -> nn.Sequential:
    """Depthwise (per-channel) convolution, then a 1x1 mixing convolution: far fewer FLOPs than a full one."""
    conv = nn.ConvTranspose2d if transpose else nn.Conv2d
    return nn.Sequential(conv(c_in, c_in, kernel, stride=stride, padding=padding, groups=c_in), nn.Conv2d(c_in, c_out, 1))


class ResBlock(nn.Module):
    def __init__(self, channels: int, kernel_f: int):
        super().__init__()
        pad = (kernel_f // 2, 1)
        self.body = nn.Sequential(
            nn.BatchNorm2d(channels), Snake(channels), separable(channels, channels, (kernel_f, 3), padding=pad),
            nn.BatchNorm2d(channels), Snake(channels), separable(channels, channels, (kernel_f, 3), padding=pad),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _level_dims(cfg: Stage1Config, levels: int) -> list[int]:
    """Channels after each down-sampling: init_dim doubling per level, capped at max_dim."""
    return [min(cfg.init_dim * 2**i, cfg.max_dim) for i in range(max(levels, 1))]


class Encoder(nn.Module):
    """(B, 2C, rows, frames) -> (B, hid_dim, rows, ~frames / 2^levels).

    Every level is a stride-2 (along time) depthwise-separable convolution; nothing runs at the
    full frame rate except the first depthwise filter.
    """

    def __init__(self, in_channels: int, cfg: Stage1Config, levels: int, kernel_f: int):
        super().__init__()
        dims = _level_dims(cfg, levels)
        pad = (kernel_f // 2, 1)
        layers: list[nn.Module] = []
        prev = in_channels
        if levels == 0:
            layers.append(nn.Conv2d(in_channels, dims[0], 1))
            prev = dims[0]
        for d in dims[:levels]:
            layers += [separable(prev, d, (kernel_f, 4), (1, 2), pad), nn.BatchNorm2d(d), Snake(d)]
            prev = d
        layers += [ResBlock(prev, kernel_f) for _ in range(cfg.n_res_blocks)]
        layers.append(nn.Conv2d(prev, cfg.hid_dim, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.net(u)


class Decoder(nn.Module):
    """(B, hid_dim, rows, T') -> (B, 2C, rows, frames): the encoder mirrored, cropped to ``frames``."""

    def __init__(self, out_channels: int, cfg: Stage1Config, levels: int, kernel_f: int, frames: int):
        super().__init__()
        self.frames = frames
        dims = _level_dims(cfg, levels)[::-1]
        pad = (kernel_f // 2, 1)
        layers: list[nn.Module] = [nn.Conv2d(cfg.hid_dim, dims[0], 1)]
        layers += [ResBlock(dims[0], kernel_f) for _ in range(cfg.n_res_blocks)]
        outs = dims[1:levels] + [out_channels]
        for i in range(levels):
            layers.append(separable(dims[i], outs[i], (kernel_f, 4), (1, 2), pad, transpose=True))
            if i < levels - 1:
                layers += [nn.BatchNorm2d(outs[i]), Snake(outs[i])]
        if levels == 0:
            layers.append(nn.Conv2d(dims[0], out_channels, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)[..., : self.frames]  # drop the encoder's right padding


# --- the ML4ITS/TimeVQVAE 2024 encoder/decoder (architecture "ml4its-2024") -------------------------

REFERENCE_ARCH = "ml4its-2024"
ARCHITECTURES = ("separable", REFERENCE_ARCH)
_SNAKE_INIT = (0.2, 0.5)


def reference_levels(length: int, n_fft: int, width: int) -> int:
    """Stride-2 levels of the reference: log2 of round(L / (log2 n_fft - 1) / width), rounded."""
    rate = round(length / (math.log2(n_fft) - 1) / width) if length >= width else 1
    return int(round(math.log2(max(rate, 1))))


class RefResBlock(nn.Module):
    """Snake -> conv 3x3 -> BN -> Snake -> conv 3x3 -> dropout, plus a (1x1 when widths differ) skip."""

    def __init__(self, c_in: int, c_out: int, dropout: float):
        super().__init__()
        k, p = (3, 3), (1, 1)
        self.body = nn.Sequential(
            Snake(c_in, _SNAKE_INIT), nn.Conv2d(c_in, c_out, k, padding=p), nn.BatchNorm2d(c_out),
            Snake(c_out, _SNAKE_INIT), nn.Conv2d(c_out, c_out, k, padding=p), nn.Dropout(dropout),
        )
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + self.body(x)


def _ref_down(c_in: int, c_out: int) -> nn.Sequential:
    """Stride-2 (time) 3x4 convolution with replicate padding, BN, Snake."""
    return nn.Sequential(nn.Conv2d(c_in, c_out, (3, 4), stride=(1, 2), padding=(1, 1), padding_mode="replicate"),
                         nn.BatchNorm2d(c_out), Snake(c_out, _SNAKE_INIT))


def _ref_up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, (3, 4), stride=(1, 2), padding=(1, 1)),
                         nn.BatchNorm2d(c_out), Snake(c_out, _SNAKE_INIT))


class RefEncoder(nn.Module):
    """(B, 2C, F, frames) -> (B, hid_dim, F, W): max(levels, 1) stride-2 levels; channels init_dim
    doubling per level; ``n_res_blocks`` residual blocks after levels 2..; a final residual block to hid_dim."""

    def __init__(self, in_channels: int, cfg: Stage1Config, levels: int):
        super().__init__()
        d = cfg.init_dim
        layers: list[nn.Module] = [_ref_down(in_channels, d)]
        for _ in range(levels - 1):
            layers.append(_ref_down(d, 2 * d))
            d *= 2
            layers += [RefResBlock(d, d, cfg.dropout) for _ in range(cfg.n_res_blocks)]
        layers.append(RefResBlock(d, cfg.hid_dim, cfg.dropout))
        self.net = nn.Sequential(*layers)
        self.n_down = max(levels, 1)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.net(u)


class RefDecoder(nn.Module):
    """(B, hid_dim, F, W) -> (B, 2C, F, W 2^(levels + 1)): the encoder mirrored, then two transposed
    convolutions to the input channels (the reference's one extra up-sampling)."""

    def __init__(self, out_channels: int, cfg: Stage1Config, levels: int):
        super().__init__()
        d = cfg.init_dim * 2 ** max(levels - 1, 0)
        layers: list[nn.Module] = [RefResBlock(cfg.hid_dim, d, cfg.dropout)]
        for _ in range(levels - 1):
            layers += [RefResBlock(d, d, cfg.dropout) for _ in range(cfg.n_res_blocks)]
            layers.append(_ref_up(d, d // 2))
            d //= 2
        layers += [nn.ConvTranspose2d(d, out_channels, (3, 4), stride=(1, 2), padding=(1, 1)),
                   nn.ConvTranspose2d(out_channels, out_channels, (3, 4), stride=(1, 2), padding=(1, 1))]
        self.net = nn.Sequential(*layers)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)


class Branch(nn.Module):
    """Encoder, quantiser and decoder of one band (``band`` "lf" or "hf") over the full spectrum.

    ``quantise`` takes the whole real spectrum (B, 2C, F, frames), F = n_fft/2 + 1, and picks the
    band's input rows (see the module docstring for the two architectures); ``to_time`` turns a
    decoder output into the band's signal (B, C, L) in network units.
    """

    def __init__(self, channels: int, band: str, length: int, width: int, cfg: Stage1Config):
        super().__init__()
        self.band, self.length, self.n_fft = band, length, cfg.n_fft
        self.freq_rows = cfg.n_fft // 2 + 1
        frames = tf.n_frames(length, cfg.n_fft)
        self.frames = frames
        self.reference = cfg.architecture == REFERENCE_ARCH
        if self.reference:
            levels = reference_levels(length, cfg.n_fft, width)
            self.rows = self.freq_rows
            self.encoder = RefEncoder(2 * channels, cfg, levels)
            self.decoder = RefDecoder(2 * channels, cfg, levels)
            w = frames
            for _ in range(self.encoder.n_down):
                w = (w - 2) // 2 + 1  # kernel 4, stride 2, padding 1
            self.latent_width, self.pad = w, 0
        else:
            kernel_f = 1 if band == "lf" else 3
            levels = n_downsamplings(frames, width)
            self.rows = 1 if band == "lf" else self.freq_rows - 1
            self.encoder = Encoder(2 * channels, cfg, levels, kernel_f)
            self.decoder = Decoder(2 * channels, cfg, levels, kernel_f, frames)
            # Frames are right-padded to a multiple of 2^levels, so that every stride-2 level halves
            # the length exactly and decoded frames line up with the input's (no resampling in time).
            self.latent_width = -(-frames // 2**levels)
            self.pad = self.latent_width * 2**levels - frames
        self.vq = VectorQuantize(
            dim=cfg.hid_dim, codebook_size=cfg.codebook_size, codebook_dim=cfg.codebook_dim,
            decay=cfg.ema_decay, commitment_weight=cfg.commitment_weight, kmeans_init=cfg.kmeans_init,
            kmeans_iters=10, rotation_trick=False, channel_last=True,
        )

    @property
    def n_tokens(self) -> int:
        return self.rows * self.latent_width

    def band_input(self, u: torch.Tensor) -> torch.Tensor:
        """Full real spectrum (B, 2C, F, frames) -> the encoder input (B, 2C, rows, frames)."""
        if not self.reference:
            return u[:, :, :1] if self.band == "lf" else u[:, :, 1:]
        if self.band == "lf":
            return u[:, :, :1].expand(-1, -1, self.freq_rows, -1)
        return torch.cat([u[:, :, 1:2], u[:, :, 1:]], dim=2)

    def to_time(self, out: torch.Tensor) -> torch.Tensor:
        """Decoder output -> the band's signal (B, C, L), network units, fp32."""
        with torch.autocast(out.device.type, enabled=False):
            z = tf.to_complex(out.float())
            if not self.reference:
                full = tf.merge_spectrum(z, None, self.n_fft) if self.band == "lf" else tf.merge_spectrum(None, z, self.n_fft)
                return tf.istft(full, self.n_fft, self.length)
            keep = torch.zeros(self.freq_rows, 1, device=z.device, dtype=torch.bool)
            keep[0 if self.band == "lf" else slice(1, None)] = True
            z = torch.where(keep, z, torch.zeros((), dtype=z.dtype, device=z.device))
            x = tf.istft(z, self.n_fft, tf.hop_length(self.n_fft) * (z.shape[-1] - 1))
            return F.interpolate(x, size=self.length, mode="linear")

    def quantise(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Full spectrum (B, 2C, F, frames) -> (quantised latent (B, D, rows, W), tokens (B, rows*W), vq loss)."""
        h = self.encoder(F.pad(self.band_input(u), (0, self.pad)))
        b, d, r, w = h.shape
        with torch.autocast(h.device.type, enabled=False):  # codebook distances and EMA in fp32
            q, idx, loss = self.vq(h.float().flatten(2).transpose(1, 2))
        return q.transpose(1, 2).reshape(b, d, r, w), idx, loss.sum()

    def decode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, rows*W) int64 -> the band's signal (B, C, L), network units."""
        with torch.autocast(tokens.device.type, enabled=False):
            q = self.vq.get_output_from_indices(tokens)  # (B, N, D)
        b = tokens.shape[0]
        return self.to_time(self.decoder(q.transpose(1, 2).reshape(b, -1, self.rows, self.latent_width)))


@dataclass
class Stage1Output:
    x_lf: torch.Tensor      # targets, (B, C, L)
    x_hf: torch.Tensor
    xhat_lf: torch.Tensor   # reconstructions, (B, C, L)
    xhat_hf: torch.Tensor
    vq_loss: torch.Tensor
    tokens_lf: torch.Tensor  # (B, N_lf)
    tokens_hf: torch.Tensor  # (B, N_hf)


class VQVAE(nn.Module):
    """Two-band VQ-VAE: (B, C, L) in signal units -> reconstructions and tokens of both bands.

    ``scale`` (a buffer) divides inputs and multiplies outputs so that the network sees unit-scale
    data; stage-1 training sets it to the training set's standard deviation.
    """

    def __init__(self, channels: int, length: int, cfg: Stage1Config):
        super().__init__()
        if cfg.architecture not in ARCHITECTURES:
            raise ValueError(f"unknown TimeVQVAE stage-1 architecture {cfg.architecture!r}; choose one of {ARCHITECTURES}")
        self.cfg, self.channels, self.length = cfg, channels, length
        self.lf = Branch(channels, "lf", length, cfg.width_lf, cfg)
        self.hf = Branch(channels, "hf", length, cfg.width_hf, cfg)
        self.register_buffer("scale", torch.ones(()))

    @property
    def n_tokens(self) -> tuple[int, int]:
        return self.lf.n_tokens, self.hf.n_tokens

    def _spectrum(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, L) signal units -> real spectrum (B, 2C, n_fft/2 + 1, frames) of x / scale, fp32."""
        with torch.autocast(x.device.type, enabled=False):
            return tf.to_real(tf.stft(x / self.scale, self.cfg.n_fft))

    def forward(self, x: torch.Tensor) -> Stage1Output:
        u = self._spectrum(x)
        q_lf, t_lf, l_lf = self.lf.quantise(u)
        q_hf, t_hf, l_hf = self.hf.quantise(u)
        with torch.autocast(x.device.type, enabled=False):
            z_lf, z_hf = tf.split_spectrum(tf.to_complex(u))
            n_fft = self.cfg.n_fft
            x_lf = tf.istft(tf.merge_spectrum(z_lf, None, n_fft), n_fft, self.length) * self.scale
            x_hf = tf.istft(tf.merge_spectrum(None, z_hf, n_fft), n_fft, self.length) * self.scale
        return Stage1Output(
            x_lf=x_lf, x_hf=x_hf,
            xhat_lf=self.lf.to_time(self.lf.decoder(q_lf)) * self.scale,
            xhat_hf=self.hf.to_time(self.hf.decoder(q_hf)) * self.scale,
            vq_loss=l_lf + l_hf, tokens_lf=t_lf, tokens_hf=t_hf,
        )

    def loss(self, out: Stage1Output) -> dict[str, torch.Tensor]:
        """MSE on the LF band, L1 on the HF band (as the reference code), in units of ``scale``, plus VQ."""
        s = self.scale
        lf = F.mse_loss(out.xhat_lf / s, out.x_lf / s)
        hf = F.l1_loss(out.xhat_hf / s, out.x_hf / s)
        return {"loss": lf + hf + out.vq_loss, "recon_lf": lf, "recon_hf": hf, "vq": out.vq_loss}

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, C, L) -> tokens (B, N_lf), (B, N_hf) int64. Call in eval mode."""
        u = self._spectrum(x)
        return self.lf.quantise(u)[1], self.hf.quantise(u)[1]

    @torch.no_grad()
    def decode(self, tokens_lf: torch.Tensor, tokens_hf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens -> (x_LF, x_HF), each (B, C, L) in signal units; the sample is their sum."""
        return self.lf.decode_tokens(tokens_lf) * self.scale, self.hf.decode_tokens(tokens_hf) * self.scale

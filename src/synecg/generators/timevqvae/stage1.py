"""Stage 1 of TimeVQVAE (Lee, Malacarne, Aune 2023, sec. 3.1): a VQ-VAE per frequency band.

The STFT (``stft.py``) splits (B, 12, L) into an LF spectrum (row 0) and an HF spectrum (rows
1..n_fft/2). Each branch has its own encoder -> vector quantiser -> decoder over the
(real, imaginary) x (rows, frames) map; the decoded spectra are inverted and summed:
x_hat = iSTFT(LF_hat) + iSTFT(HF_hat). Convolutions stride along time only, so every frequency row
keeps its own tokens: LF has ``tokens_per_row`` tokens, HF (n_fft/2) x that many.
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
    """Snake activation x + sin^2(a x) / a with a learned per-channel a (Ziyin et al. 2020)."""

    def __init__(self, channels: int):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1, 1))

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


class Branch(nn.Module):
    """Encoder, quantiser and decoder of one band (LF: 1 frequency row; HF: n_fft/2 rows)."""

    def __init__(self, channels: int, rows: int, frames: int, width: int, cfg: Stage1Config):
        super().__init__()
        kernel_f = 1 if rows == 1 else 3
        levels = n_downsamplings(frames, width)
        self.rows = rows
        self.encoder = Encoder(2 * channels, cfg, levels, kernel_f)
        self.decoder = Decoder(2 * channels, cfg, levels, kernel_f, frames)
        self.vq = VectorQuantize(
            dim=cfg.hid_dim, codebook_size=cfg.codebook_size, codebook_dim=cfg.codebook_dim,
            decay=cfg.ema_decay, commitment_weight=cfg.commitment_weight, kmeans_init=cfg.kmeans_init,
            kmeans_iters=10, rotation_trick=False, channel_last=True,
        )
        # Frames are right-padded to a multiple of 2^levels, so that every stride-2 level halves the
        # length exactly and decoded frames line up with the input's (no resampling in time).
        self.latent_width = -(-frames // 2**levels)
        self.pad = self.latent_width * 2**levels - frames

    @property
    def n_tokens(self) -> int:
        return self.rows * self.latent_width

    def quantise(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(B, 2C, rows, frames) -> (quantised latent (B, D, rows, W), tokens (B, rows*W), vq loss)."""
        h = self.encoder(F.pad(u, (0, self.pad)))
        b, d, r, w = h.shape
        with torch.autocast(h.device.type, enabled=False):  # codebook distances and EMA in fp32
            q, idx, loss = self.vq(h.float().flatten(2).transpose(1, 2))
        return q.transpose(1, 2).reshape(b, d, r, w), idx, loss.sum()

    def decode_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, rows*W) int64 -> (B, 2C, rows, frames)."""
        with torch.autocast(tokens.device.type, enabled=False):
            q = self.vq.get_output_from_indices(tokens)  # (B, N, D)
        b = tokens.shape[0]
        return self.decoder(q.transpose(1, 2).reshape(b, -1, self.rows, self.latent_width))


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
        self.cfg, self.channels, self.length = cfg, channels, length
        frames = tf.n_frames(length, cfg.n_fft)
        self.lf = Branch(channels, 1, frames, cfg.width_lf, cfg)
        self.hf = Branch(channels, cfg.n_fft // 2, frames, cfg.width_hf, cfg)
        self.register_buffer("scale", torch.ones(()))

    @property
    def n_tokens(self) -> tuple[int, int]:
        return self.lf.n_tokens, self.hf.n_tokens

    def _spectra(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.autocast(x.device.type, enabled=False):
            z_lf, z_hf = tf.split_spectrum(tf.stft(x / self.scale, self.cfg.n_fft))
        return tf.to_real(z_lf), tf.to_real(z_hf)

    def _to_time(self, u: torch.Tensor, band: str) -> torch.Tensor:
        with torch.autocast(u.device.type, enabled=False):
            z = tf.to_complex(u.float())
            full = tf.merge_spectrum(z, None, self.cfg.n_fft) if band == "lf" else tf.merge_spectrum(None, z, self.cfg.n_fft)
            return tf.istft(full, self.cfg.n_fft, self.length) * self.scale

    def forward(self, x: torch.Tensor) -> Stage1Output:
        u_lf, u_hf = self._spectra(x)
        q_lf, t_lf, l_lf = self.lf.quantise(u_lf)
        q_hf, t_hf, l_hf = self.hf.quantise(u_hf)
        return Stage1Output(
            x_lf=self._to_time(u_lf, "lf"), x_hf=self._to_time(u_hf, "hf"),
            xhat_lf=self._to_time(self.lf.decoder(q_lf), "lf"), xhat_hf=self._to_time(self.hf.decoder(q_hf), "hf"),
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
        u_lf, u_hf = self._spectra(x)
        return self.lf.quantise(u_lf)[1], self.hf.quantise(u_hf)[1]

    @torch.no_grad()
    def decode(self, tokens_lf: torch.Tensor, tokens_hf: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens -> (x_LF, x_HF), each (B, C, L) in signal units; the sample is their sum."""
        return self._to_time(self.lf.decode_tokens(tokens_lf), "lf"), self._to_time(self.hf.decode_tokens(tokens_hf), "hf")

"""The LF/HF split of TimeVQVAE: a Hann-window STFT whose frequency row 0 is "low frequency".

Row 0 of an n_fft-point STFT is a low-pass filter (the Hann window's spectrum); rows 1..n_fft/2
are the rest. Zeroing rows and inverting gives two time-domain signals that add up to the input
(the STFT is linear and the Hann window with hop n_fft/4 satisfies overlap-add). The split is
soft; its 50 % energy crossover sits at about fs / (2 n_fft): ~12 Hz for n_fft 4 at 100 Hz,
~3 Hz for the paper's n_fft 16 at 100 Hz.

Always fp32: callers run these outside bf16 autocast.
"""

from __future__ import annotations

import torch


def hop_length(n_fft: int) -> int:
    return max(1, n_fft // 4)


def n_frames(length: int, n_fft: int) -> int:
    """Number of STFT frames of a signal of ``length`` samples (centred frames)."""
    return length // hop_length(n_fft) + 1


def crossover_hz(fs: float, n_fft: int) -> float:
    """The documented LF/HF crossover frequency (50 % of a sinusoid's energy in LF)."""
    return fs / (2 * n_fft)


def stft(x: torch.Tensor, n_fft: int) -> torch.Tensor:
    """(B, C, L) real -> (B, C, n_fft/2 + 1, frames) complex."""
    b, c, length = x.shape
    window = torch.hann_window(n_fft, device=x.device, dtype=torch.float32)
    z = torch.stft(x.float().reshape(b * c, length), n_fft, hop_length=hop_length(n_fft), window=window,
                   normalized=True, return_complex=True)
    return z.reshape(b, c, *z.shape[-2:])


def istft(z: torch.Tensor, n_fft: int, length: int) -> torch.Tensor:
    """(B, C, n_fft/2 + 1, frames) complex -> (B, C, length) real."""
    b, c = z.shape[:2]
    window = torch.hann_window(n_fft, device=z.device, dtype=torch.float32)
    x = torch.istft(z.reshape(b * c, *z.shape[-2:]), n_fft, hop_length=hop_length(n_fft), window=window,
                    normalized=True, length=length)
    return x.reshape(b, c, length)


def to_real(z: torch.Tensor) -> torch.Tensor:
    """(B, C, F, T) complex -> (B, 2C, F, T): real parts, then imaginary parts."""
    return torch.cat([z.real, z.imag], dim=1)


def to_complex(u: torch.Tensor) -> torch.Tensor:
    """Inverse of ``to_real``: (B, 2C, F, T) -> (B, C, F, T) complex."""
    re, im = u.float().chunk(2, dim=1)
    return torch.complex(re, im)


def split_spectrum(z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Rows 0 (LF) and 1.. (HF) of an STFT: (B, C, 1, T), (B, C, F-1, T)."""
    return z[:, :, :1], z[:, :, 1:]


def merge_spectrum(z_lf: torch.Tensor | None, z_hf: torch.Tensor | None, n_fft: int) -> torch.Tensor:
    """Put LF and/or HF rows back into a full (B, C, F, T) spectrum, zeros elsewhere."""
    ref = z_lf if z_lf is not None else z_hf
    b, c, _, t = ref.shape
    z = torch.zeros(b, c, n_fft // 2 + 1, t, dtype=ref.dtype, device=ref.device)
    if z_lf is not None:
        z[:, :, :1] = z_lf
    if z_hf is not None:
        z[:, :, 1:] = z_hf
    return z


def split_lf_hf(x: torch.Tensor, n_fft: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, L) -> (x_LF, x_HF), each (B, C, L), with x_LF + x_HF == x up to float error."""
    z = stft(x, n_fft)
    lf, hf = split_spectrum(z)
    length = x.shape[-1]
    return istft(merge_spectrum(lf, None, n_fft), n_fft, length), istft(merge_spectrum(None, hf, n_fft), n_fft, length)

"""S4 layer in plain PyTorch: a long convolution whose kernel comes from a diagonal state-space model.

The state matrix is diagonal (S4D, Gu et al. 2022, "On the Parameterization and Initialization of
Diagonal State Space Models"): A = diag(λ_n), discretised with zero-order hold, so the length-L
kernel is a Vandermonde product K[h, l] = 2 Re Σ_n C̃[h, n] exp(Δ_h λ_n l) over N/2 conjugate pairs
(their eq. 6), and no Cauchy kernel or CUDA extension is needed. ``init="legs"`` starts from the
diagonal part of the HiPPO-LegS NPLR matrix that the original S4 (and SSSD-ECG) use, which the S4D
paper shows reproduces the S4-LegS kernel as N grows; ``init="lin"`` is S4D-Lin (λ_n = -1/2 + iπn).

The kernel does not depend on the input, so in eval mode without autograd it is computed once and
cached until the layer's parameters change (a sampling run computes it once per layer, not once per
step). Kernel generation and the FFT convolution always run in fp32, also under bf16 autocast.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint


def hippo_legs_diagonal(n_state: int) -> torch.Tensor:
    """Eigenvalues of the normal part of HiPPO-LegS (S4D-LegS init), N/2 with positive imaginary part.

    HiPPO-LegS = normal - low rank with normal part S = -1/2 I + skew(S); its eigenvalues are
    -1/2 + i ω with ω the eigenvalues of the skew-symmetric part (Gu et al. 2022a, sec. 4).
    """
    n = torch.arange(n_state, dtype=torch.float64)
    p = torch.sqrt(n + 0.5)
    s = p[:, None] * p[None, :]
    skew = torch.tril(s) - torch.triu(s)  # antisymmetric, zero diagonal
    omega = torch.linalg.eigvalsh(-1j * skew.to(torch.complex128)).to(torch.float64)  # real, ± pairs
    omega = torch.sort(omega[omega > 0]).values[: n_state // 2]
    return torch.complex(torch.full_like(omega, -0.5), omega)


class S4DKernel(nn.Module):
    """Length-L convolution kernels of ``directions`` x ``channels`` diagonal SSMs of state size ``d_state`` (even).

    ``forward(length) -> (directions * channels, length)`` float32, forward direction first.
    As in SSSD-ECG's S4 layer, Δ (log_dt), the state matrix λ and B are fixed buffers drawn at init
    (only C is trained), there is one Δ per channel shared by both directions, and C starts with
    unit variance (complex normal, E|C|² = 1).
    """

    def __init__(
        self, channels: int, d_state: int = 64, init: str = "legs", dt_min: float = 1e-3, dt_max: float = 1e-1, directions: int = 1
    ):
        super().__init__()
        if d_state % 2:
            raise ValueError(f"d_state must be even (conjugate pairs), got {d_state}")
        half = d_state // 2
        if init == "legs":
            lam = hippo_legs_diagonal(d_state)
        elif init == "lin":
            lam = torch.complex(torch.full((half,), -0.5, dtype=torch.float64), math.pi * torch.arange(half, dtype=torch.float64))
        else:
            raise ValueError(f"S4D init must be 'legs' or 'lin', got {init!r}")
        lam = lam.to(torch.complex64).expand(channels, half).clone()
        log_dt = torch.rand(channels) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        c = torch.randn(directions * channels, half, dtype=torch.complex64)  # complex normal: variance 1
        self.directions = directions
        self.register_buffer("log_dt", log_dt)
        self.register_buffer("log_neg_re", torch.log(-lam.real))  # Re λ < 0 always (stable)
        self.register_buffer("im", lam.imag)
        self.c = nn.Parameter(torch.view_as_real(c))

    def forward(self, length: int) -> torch.Tensor:
        with torch.autocast(device_type=self.log_dt.device.type, enabled=False):
            dt = self.log_dt.float().exp()[:, None]
            lam = torch.complex(-self.log_neg_re.float().exp(), self.im.float())
            dtlam = (dt * lam).repeat(self.directions, 1)  # (D*H, N/2): one Δ shared by the directions
            lam = lam.repeat(self.directions, 1)
            c = torch.view_as_complex(self.c.float()) * (torch.exp(dtlam) - 1.0) / lam  # ZOH, B = 1
            steps = torch.arange(length, device=dt.device, dtype=torch.float32)
            # 2 Re(c e^{(a + ib) l}) = 2 e^{al} (Re c cos bl - Im c sin bl): real arithmetic is about
            # twice as fast as a complex Vandermonde product (forward and backward) on CPU.
            decay = torch.exp(dtlam.real[:, :, None] * steps)  # (D*H, N/2, L)
            angle = dtlam.imag[:, :, None] * steps
            wave = c.real[:, :, None] * torch.cos(angle) - c.imag[:, :, None] * torch.sin(angle)
            return 2.0 * (decay * wave).sum(dim=1)


def fft_conv(u: torch.Tensor, k_fwd: torch.Tensor, k_bwd: torch.Tensor | None = None) -> torch.Tensor:
    """y = k_fwd * u (causal) [+ k_bwd * u (anti-causal, lags -1..-L)] by FFT, in fp32.

    u (B, H, L), kernels (H, L) -> (B, H, L).
    """
    length = u.shape[-1]
    k = F.pad(k_fwd, (0, length))
    if k_bwd is not None:
        k = k + F.pad(k_bwd.flip(-1), (length, 0))
    n = 2 * length
    with torch.autocast(device_type=u.device.type, enabled=False):
        y = torch.fft.irfft(torch.fft.rfft(u.float(), n=n) * torch.fft.rfft(k.float(), n=n), n=n)
    return y[..., :length]


class S4Layer(nn.Module):
    """Bidirectional S4 block as used in SSSD-ECG: SSM conv + skip D·u, GELU, 1x1 mix, residual, LayerNorm.

    ``(B, H, L) -> (B, H, L)``.
    """

    def __init__(self, channels: int, d_state: int = 64, bidirectional: bool = True, init: str = "legs", dropout: float = 0.0):
        super().__init__()
        self.bidirectional = bidirectional
        self.kernel = S4DKernel(channels, d_state, init, directions=2 if bidirectional else 1)
        self.d = nn.Parameter(torch.randn(channels))
        self.mix = nn.Conv1d(channels, channels, 1)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(channels)
        self._cache: tuple[tuple, torch.Tensor] | None = None

    def _kernel(self, length: int) -> torch.Tensor:
        if self.training or torch.is_grad_enabled():
            self._cache = None
            # Recompute the (H, N/2, L) intermediates in backward instead of keeping them: at the
            # paper size they would hold ~0.8 GB per layer, 72 layers, whatever the batch size.
            return checkpoint(self.kernel, length, use_reentrant=False)
        key = (length, *[(p.data_ptr(), p._version) for p in (*self.kernel.parameters(), *self.kernel.buffers())])
        if self._cache is None or self._cache[0] != key:
            self._cache = (key, self.kernel(length))
        return self._cache[1]

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        k = self._kernel(u.shape[-1])
        if self.bidirectional:
            k_fwd, k_bwd = k.chunk(2, dim=0)
            y = fft_conv(u, k_fwd, k_bwd)
        else:
            y = fft_conv(u, k)
        y = y + u.float() * self.d.float()[:, None]
        y = self.mix(F.gelu(y).to(u.dtype))
        y = self.dropout(y) + u
        return self.norm(y.transpose(1, 2)).transpose(1, 2)

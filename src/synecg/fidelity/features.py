"""Feature spaces for the distribution metrics.

- ``RandomConvFeatures``: a training-free space in the spirit of MiniRocket (Dempster et al. 2021):
  fixed random 12-lead kernels of length 9 at several dilations; each output channel is summarised
  by its proportion of positive values (PPV) above biases set from quantiles of the real training
  data, plus its mean. Nothing is learnt by gradient; the kernels come from the config seed.
- ``classifier_features``: the penultimate activations of the frozen real-trained classifier.

Both take float32 (N, 12, L) signals in mV and return float32 (N, F), in batches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from synecg.constants import N_LEADS


@dataclass
class RandomConvConfig:
    n_kernels: int = 32
    kernel_size: int = 9
    dilations: tuple[int, ...] = (1, 2, 4, 8, 16, 32)
    bias_quantiles: tuple[float, ...] = (0.25, 0.5, 0.75)
    fit_records: int = 256  # real training records the bias quantiles are taken from
    batch: int = 256


class RandomConvFeatures:
    """Fixed random convolutions over all leads -> (N, n_kernels * len(dilations) * (len(bias_quantiles) + 1))."""

    def __init__(self, cfg: RandomConvConfig, seed: int):
        self.cfg = cfg
        gen = torch.Generator().manual_seed(int(seed) % (2**63))
        w = torch.randn(cfg.n_kernels, N_LEADS, cfg.kernel_size, generator=gen, dtype=torch.float32)
        # Zero-mean kernels respond to shape, not to baseline offset (as MiniRocket's -1/2 weights).
        self.weight = w - w.mean(dim=2, keepdim=True)
        self.biases: torch.Tensor | None = None  # (n_dilations, n_kernels, n_quantiles)

    @property
    def n_features(self) -> int:
        return self.cfg.n_kernels * len(self.cfg.dilations) * (len(self.cfg.bias_quantiles) + 1)

    def _convolve(self, x: torch.Tensor, dilation: int) -> torch.Tensor:
        pad = dilation * (self.cfg.kernel_size - 1) // 2
        return F.conv1d(x, self.weight, padding=pad, dilation=dilation)

    def fit(self, x_train: np.ndarray, rng: np.random.Generator) -> "RandomConvFeatures":
        """Set the biases from quantiles of each kernel's response on a random subset of real training records."""
        n = min(self.cfg.fit_records, len(x_train))
        idx = np.sort(rng.choice(len(x_train), n, replace=False))
        x = torch.as_tensor(np.asarray(x_train[idx], dtype=np.float32))
        q = torch.tensor(self.cfg.bias_quantiles, dtype=torch.float32)
        biases = []
        with torch.no_grad():
            for d in self.cfg.dilations:
                out = self._convolve(x, d).transpose(0, 1).reshape(self.cfg.n_kernels, -1)
                # Quantiles on a strided subsample: torch.quantile refuses very large inputs.
                step = max(1, out.shape[1] // 100_000)
                biases.append(torch.quantile(out[:, ::step], q, dim=1).T)
        self.biases = torch.stack(biases)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.biases is None:
            raise RuntimeError("RandomConvFeatures.transform before fit")
        out = np.empty((len(x), self.n_features), dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(x), self.cfg.batch):
                xb = torch.as_tensor(np.asarray(x[start : start + self.cfg.batch], dtype=np.float32))
                parts = []
                for i, d in enumerate(self.cfg.dilations):
                    z = self._convolve(xb, d)  # (B, K, L)
                    ppv = (z[..., None] > self.biases[i][None, :, None, :]).float().mean(2)  # (B, K, Q)
                    parts.append(torch.cat([ppv, z.mean(2, keepdim=True)], dim=2).flatten(1))
                out[start : start + len(xb)] = torch.cat(parts, dim=1).numpy()
        return out

    def state(self) -> dict[str, np.ndarray]:
        return {"weight": self.weight.numpy(), "biases": self.biases.numpy()}


def classifier_features(model: torch.nn.Module, normaliser, x: np.ndarray, device, batch: int = 256) -> np.ndarray:
    """Penultimate features ``model.features`` of the frozen classifier, (N, F) float32."""
    model = model.to(device).eval()
    chunks = []
    with torch.no_grad():
        for start in range(0, len(x), batch):
            xb = torch.as_tensor(np.asarray(x[start : start + batch], dtype=np.float32))
            xb = normaliser(xb) if callable(normaliser) else xb
            chunks.append(model.features(xb.to(device)).float().cpu().numpy())
    return np.concatenate(chunks) if chunks else np.empty((0, 0), dtype=np.float32)

"""The paper's 1D residual CNN (Kachuee, Fazeli, Sarrafzadeh 2018, arXiv 1805.00794, as adapted by
Núñez, Arjona, Béjar 2024 to 12-lead, 7-class rhythm classification).

(B, 12, L) -> stem conv (12 -> K, f, same) -> N x residual block -> flatten -> head -> (B, 7) logits.

A residual block is [conv(K, f, dilation d, same) -> ReLU -> conv -> + skip -> ReLU ->
max-pool(5, stride 2)]. The authors' code applied *the same* convolution twice in each block
(shared weights); ``shared_conv=True`` reproduces that, ``False`` gives each block two independent
convolutions as in Kachuee et al. The head is ``fc_layers`` x [Linear -> ReLU -> Dropout] and a final
Linear to the class logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

POOL_SIZE = 5
POOL_STRIDE = 2


@dataclass
class ClassifierConfig:
    """Every size of the network. The presets of config/paper.yaml fill these from the authors' search."""

    n_leads: int = 12
    n_classes: int = 7
    blocks: int = 5
    kernels: int = 16
    kernel_size: int = 7
    dilation: int = 5
    fc_layers: int = 3
    fc_units: int = 256
    dropout: float = 0.25
    signal_length: int = 1000
    shared_conv: bool = True

    def pooled_length(self) -> int:
        """Time steps left after the blocks (1000 -> 498 -> 247 -> 122 -> 59 -> 28 -> 12 -> 4)."""
        length = self.signal_length
        for _ in range(self.blocks):
            length = (length - POOL_SIZE) // POOL_STRIDE + 1
        return length

    @property
    def feature_dim(self) -> int:
        """Width of ``ResidualCNN.features``: the last hidden layer, or the flattened convs without one."""
        return self.fc_units if self.fc_layers > 0 else self.kernels * self.pooled_length()


class ResidualBlock(nn.Module):
    """(B, K, T) -> (B, K, (T - 5) // 2 + 1): conv -> ReLU -> conv -> + skip -> ReLU -> max-pool."""

    def __init__(self, kernels: int, kernel_size: int, dilation: int, shared_conv: bool):
        super().__init__()
        self.conv1 = nn.Conv1d(kernels, kernels, kernel_size, dilation=dilation, padding="same")
        self.conv2 = self.conv1 if shared_conv else nn.Conv1d(kernels, kernels, kernel_size, dilation=dilation, padding="same")
        self.pool = nn.MaxPool1d(POOL_SIZE, stride=POOL_STRIDE)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv2(torch.relu(self.conv1(x)))
        return self.pool(torch.relu(h + x))


class ResidualCNN(nn.Module):
    """(B, n_leads, signal_length) float -> (B, n_classes) logits."""

    def __init__(self, cfg: ClassifierConfig):
        super().__init__()
        if cfg.pooled_length() < 1:
            raise ValueError(
                f"{cfg.blocks} blocks pool a {cfg.signal_length}-sample signal to nothing; use fewer blocks"
            )
        self.cfg = cfg
        self.stem = nn.Conv1d(cfg.n_leads, cfg.kernels, cfg.kernel_size, padding="same")
        self.blocks = nn.Sequential(
            *(ResidualBlock(cfg.kernels, cfg.kernel_size, cfg.dilation, cfg.shared_conv) for _ in range(cfg.blocks))
        )
        layers: list[nn.Module] = []
        width = cfg.kernels * cfg.pooled_length()
        for _ in range(cfg.fc_layers):
            layers += [nn.Linear(width, cfg.fc_units), nn.ReLU(), nn.Dropout(cfg.dropout)]
            width = cfg.fc_units
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(width, cfg.n_classes)

    def conv_features(self, x: Tensor) -> Tensor:
        """(B, 12, L) -> (B, K * pooled_length): the flattened output of the convolutional part."""
        return self.blocks(self.stem(x)).flatten(1)

    def features(self, x: Tensor) -> Tensor:
        """(B, 12, L) -> (B, cfg.feature_dim): penultimate features (input of the last Linear)."""
        return self.hidden(self.conv_features(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.out(self.features(x))

    def conv_parameters(self) -> list[nn.Parameter]:
        """Parameters of the stem and the residual blocks (frozen in head-only fine-tuning)."""
        return [*self.stem.parameters(), *self.blocks.parameters()]

    def head_parameters(self) -> list[nn.Parameter]:
        return [*self.hidden.parameters(), *self.out.parameters()]

"""The paper's residual CNN: shapes for every configured preset, pooling arithmetic, shared convs."""

from pathlib import Path

import pytest
import torch
import yaml

from synecg.classify.model import ClassifierConfig, ResidualCNN
from synecg.experiments.settings import build_model_config

REPO = Path(__file__).resolve().parents[1]


def _presets():
    out = []
    for name in ("config/config.yaml", "config/paper.yaml", "tests/configs/tiny.yaml"):
        presets = yaml.safe_load((REPO / name).read_text())["classifier"]["presets"]
        out += [pytest.param(p, id=f"{name}:{k}") for k, p in presets.items()]
    return out


@pytest.mark.parametrize("preset", _presets())
def test_every_preset_maps_12_leads_to_7_logits_and_features(preset):
    cfg = build_model_config(preset, signal_length=1000)
    model = ResidualCNN(cfg)
    x = torch.randn(3, 12, 1000)
    assert model(x).shape == (3, 7)
    assert model.features(x).shape == (3, cfg.feature_dim)


def test_pooled_lengths_follow_the_paper():
    lengths = [ClassifierConfig(blocks=b).pooled_length() for b in range(1, 8)]
    assert lengths == [498, 247, 122, 59, 28, 12, 4]


def test_shared_conv_reuses_one_weight_tensor_per_block():
    shared = ResidualCNN(ClassifierConfig(blocks=2, kernels=8, shared_conv=True))
    separate = ResidualCNN(ClassifierConfig(blocks=2, kernels=8, shared_conv=False))
    assert shared.blocks[0].conv1.weight is shared.blocks[0].conv2.weight
    per_conv = 8 * 8 * 7 + 8
    n_shared = sum(p.numel() for p in shared.parameters())
    n_separate = sum(p.numel() for p in separate.parameters())
    assert n_separate - n_shared == 2 * per_conv


def test_features_without_hidden_layers_are_the_flattened_convolutions():
    cfg = ClassifierConfig(blocks=2, kernels=4, fc_layers=0, signal_length=200)
    model = ResidualCNN(cfg)
    assert model.features(torch.randn(2, 12, 200)).shape == (2, 4 * cfg.pooled_length())


def test_too_many_blocks_for_the_signal_is_rejected():
    with pytest.raises(ValueError, match="fewer blocks"):
        ResidualCNN(ClassifierConfig(blocks=7, signal_length=100))

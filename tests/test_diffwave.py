"""Plain DiffWave: shapes, dilation pattern and receptive field, class and step conditioning."""

import pytest
import torch

from synecg.generators.diffwave import PRESETS, DiffWave, DiffWaveConfig


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_diffwave_maps_12_leads_to_12_leads_and_starts_as_the_zero_predictor():
    net = DiffWave(PRESETS["tiny"])
    out = net(torch.randn(2, 12, 50), torch.tensor([0, 199]), torch.tensor([1, 5]))
    assert out.shape == (2, 12, 50) and torch.all(out == 0)


def test_dilations_cycle_and_receptive_field_matches_the_paper_formula():
    cfg = DiffWaveConfig(layers=30, channels=4, dilation_cycle=10, step_embed_dim=8, step_hidden=8, class_embed_dim=4)
    net = DiffWave(cfg)
    dilations = [layer.conv.dilation[0] for layer in net.layers]
    assert dilations[:11] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1]
    receptive = 1 + sum((layer.conv.kernel_size[0] - 1) * layer.conv.dilation[0] for layer in net.layers)
    assert receptive == 6139  # the 30-layer, cycle-10 network covers 10 s at 500 Hz


def test_output_depends_on_class_and_step_once_trained_weights_are_non_zero():
    torch.manual_seed(0)
    net = DiffWave(PRESETS["tiny"])
    torch.nn.init.normal_(net.out.weight)
    x = torch.randn(1, 12, 40).expand(2, 12, 40)
    by_class = net(x, torch.tensor([10, 10]), torch.tensor([0, 4]))
    by_step = net(x, torch.tensor([10, 150]), torch.tensor([0, 0]))
    assert not torch.allclose(by_class[0], by_class[1])
    assert not torch.allclose(by_step[0], by_step[1])


def test_no_clamp_keeps_millivolt_scale_outputs():
    net = DiffWave(PRESETS["tiny"])
    with torch.no_grad():
        net.out.bias.fill_(3.0)
    assert net(torch.zeros(1, 12, 10), torch.tensor([0]), torch.tensor([0])).min() == 3.0

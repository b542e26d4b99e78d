"""Plain DiffWave: shapes, dilation pattern and receptive field, class and step conditioning."""

import math

import pytest
import torch

from synecg.generators.diffwave import PRESETS, DiffWave, DiffWaveConfig, StepEmbedding


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


def test_step_embedding_uses_lmnt_frequencies_ten_to_the_plus_4i_over_63():
    emb = StepEmbedding(128, 512)
    assert emb.freqs[0] == 1.0 and float(emb.freqs[63]) == pytest.approx(1e4, rel=1e-5)
    assert float(emb.freqs[1]) == pytest.approx(10 ** (4 / 63), rel=1e-6)
    t = torch.tensor([3])
    arg = 3 * 10 ** (4 * 10 / 63)  # lmnt's table at step 3, frequency index 10
    table = torch.cat([(t.float()[:, None] * emb.freqs).sin(), (t.float()[:, None] * emb.freqs).cos()], 1)
    assert float(table[0, 10]) == pytest.approx(math.sin(arg), abs=1e-3)


def _lmnt_diffwave_parameters(layers: int, channels: int, in_channels: int) -> int:
    """Parameters of lmnt's unconditional DiffWave (model.py) as a formula: embedding 128-512-512, per layer
    a dilated conv C->2C (k 3), a step projection 512->C and an output conv C->2C, plus in/skip/out convs."""
    c = channels
    per_layer = (3 * c * 2 * c + 2 * c) + (512 * c + c) + (2 * c * c + 2 * c)
    embed = (128 * 512 + 512) + (512 * 512 + 512)
    return embed + layers * per_layer + (in_channels * c + c) + (c * c + c) + (c * in_channels + in_channels)


def test_diffwave_paper_preset_is_lmnt_36x256_plus_the_class_embedding():
    cfg = PRESETS["paper"]
    net = DiffWave(cfg)
    ours = sum(p.numel() for p in net.parameters())
    lmnt = _lmnt_diffwave_parameters(cfg.layers, cfg.channels, cfg.n_leads)
    class_path = cfg.n_classes * cfg.class_embed_dim + cfg.layers * (cfg.class_embed_dim * 2 * cfg.channels + 2 * cfg.channels)
    assert ours == lmnt + class_path
    assert lmnt == pytest.approx(24.04e6, rel=0.02)


def test_check_preset_receptive_field_covers_a_record_and_has_a_null_class():
    """The learning check's preset sees the whole 1,000-sample record (tiny: 31 samples, under one beat)."""

    def receptive_field(cfg):
        return 1 + (cfg.kernel_size - 1) * sum(2 ** (i % cfg.dilation_cycle) for i in range(cfg.layers))

    assert receptive_field(PRESETS["tiny"]) == 31
    assert receptive_field(PRESETS["check"]) >= 1000
    assert PRESETS["check"].null_class and not PRESETS["paper"].null_class

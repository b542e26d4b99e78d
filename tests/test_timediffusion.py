"""Time-Diffusion denoiser network: shapes, padding, conditioning, the authors' sizes, seeding, learning."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from synecg.generators.timediffusion import (
    PRESETS,
    TimeDiffusionUNet,
    count_parameters,
    diffusers_unet,
    preset,
)


def _inputs(cfg, batch: int = 2, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, cfg.n_leads, cfg.signal_length, generator=gen)
    t = torch.randint(0, 1000, (batch,), generator=gen)
    y = torch.arange(batch) % cfg.n_classes
    return x, t, y


@pytest.mark.parametrize("name", sorted(PRESETS))
@pytest.mark.parametrize("length", [1000, 5000])
def test_every_preset_returns_the_input_shape_at_100_and_500_hz(name, length):
    cfg = preset(name, signal_length=length)
    model = TimeDiffusionUNet(cfg, seed=0).eval()
    x, t, y = _inputs(cfg, batch=1 if length == 5000 else 2)
    with torch.no_grad():
        out = model(x, t, y)
    assert out.shape == x.shape and out.dtype == torch.float32
    assert torch.isfinite(out).all()


def test_padding_lengths_match_the_authors_1024_and_a_multiple_of_the_downsampling():
    assert preset("124-r2-a1").padded_length == 1024  # the authors' 24-sample zero pad
    assert preset("1248-r3-a2").padded_length == 1024
    assert preset("124-r2-a1", signal_length=5000).padded_length == 5120
    for name in PRESETS:
        cfg = preset(name)
        assert cfg.padded_length % cfg.downsampling == 0


@pytest.mark.parametrize(("name", "time_channels"), [("124-r2-a1", 0), ("1248-r3-a2", 0), ("124-r2-a1", 8)])
def test_network_equals_a_plain_diffusers_unet1d_on_the_zero_padded_input(name, time_channels):
    """The authors' CondUNet1DModel = UNet1DModel with the class channels appended to the input:
    loading our weights into the plain diffusers model and feeding it the zero-padded signal plus
    the conditioning channels gives our output on the first L samples. This also proves that the
    faster resampling and attention modules compute the same function as diffusers' originals."""
    cfg = preset(name, time_channels=time_channels)
    model = TimeDiffusionUNet(cfg, seed=1).eval()
    plain = diffusers_unet(cfg).eval()
    plain.load_state_dict(model.unet.state_dict())
    x, t, y = _inputs(cfg, batch=2)
    full = cfg.padded_length
    padded = torch.cat([F.pad(x, (0, full - cfg.signal_length)), model.conditioning(t, y, full)], dim=1)
    with torch.no_grad():
        ours = model(x, t, y)
        reference = plain(padded, t).sample
    assert reference.shape[-1] == full
    torch.testing.assert_close(ours, reference[..., : cfg.signal_length], rtol=1e-4, atol=1e-4)

    # the tail matters to the network (so zero-padding it, not anything else, is part of the contract)
    garbage = padded.clone()
    garbage[:, : cfg.n_leads, cfg.signal_length :] = 5.0
    with torch.no_grad():
        changed = plain(garbage, t).sample[..., : cfg.signal_length]
    assert (changed - ours).abs().max() > 1e-3


def test_bf16_autocast_forward_and_backward_run_and_stay_close_to_fp32():
    """The GPU path in miniature: mixed bf16/fp32 tensors through padding, the conditioning concat,
    depthwise resampling and fused attention, on CPU autocast."""
    cfg = preset("tiny", signal_length=256, time_channels=4)
    model = TimeDiffusionUNet(cfg, seed=5)
    x, t, y = _inputs(cfg, batch=2)
    with torch.no_grad():
        full = model(x, t, y)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = model(x, t, y)
    F.mse_loss(half.float(), x).backward()
    assert half.shape == x.shape
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())
    assert (half.float() - full).abs().max() < 0.05 * full.abs().max()


def test_prediction_depends_on_the_class_label():
    cfg = preset("tiny")
    model = TimeDiffusionUNet(cfg, seed=2).eval()
    x, t, _ = _inputs(cfg, batch=2)
    with torch.no_grad():
        a = model(x, t, torch.tensor([0, 0]))
        b = model(x, t, torch.tensor([0, 5]))
    torch.testing.assert_close(a[0], b[0])
    assert (a[1] - b[1]).abs().max() > 1e-3


def test_authors_network_ignores_the_timestep_and_time_channels_make_it_depend_on_it():
    x, _, y = _inputs(preset("tiny"), batch=2)
    early, late = torch.tensor([3, 3]), torch.tensor([900, 900])
    blind = TimeDiffusionUNet(preset("tiny"), seed=3).eval()
    aware = TimeDiffusionUNet(preset("tiny", time_channels=8), seed=3).eval()
    with torch.no_grad():
        assert torch.equal(blind(x, early, y), blind(x, late, y))
        assert (aware(x, early, y) - aware(x, late, y)).abs().max() > 1e-3


# The notes' sizes (2.64 M, 10.4 M) were measured on the authors' CondUNet1DModel, which also holds
# a time MLP its blocks never call: Linear(32, 128) + Linear(128, 128) = 20,736 weights. Our count
# plus those must equal the notes' figure to the 3 significant digits they state (tolerance half a
# unit in the last digit: 5,000 and 50,000 weights); without them ours is an exact known number.
@pytest.mark.parametrize(
    ("name", "ours", "notes"), [("124-r2-a1", 2_623_118, 2.64e6), ("1248-r3-a2", 10_395_790, 10.4e6)]
)
def test_paper_presets_have_the_authors_parameter_counts(name, ours, notes):
    model = TimeDiffusionUNet(preset(name), seed=0)
    assert count_parameters(model) == ours
    unused_time_mlp = (32 * 128 + 128) + (128 * 128 + 128)
    half_last_digit = 0.5 * 10 ** (math.floor(math.log10(notes)) - 2)
    assert abs(ours + unused_time_mlp - notes) <= half_last_digit


def test_same_seed_gives_same_weights_and_leaves_global_rng_alone():
    cfg = preset("tiny")
    before = torch.random.get_rng_state()
    a, b, c = (TimeDiffusionUNet(cfg, seed=s).state_dict() for s in (11, 11, 12))
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())


def test_invalid_configurations_are_rejected_with_the_reason():
    with pytest.raises(ValueError, match="unknown Time-Diffusion preset"):
        preset("124-r9-a9")
    with pytest.raises(ValueError, match="attention at width 16"):
        preset("tiny", attention_levels=1)  # its up block would attend at the 16 channels it hands up
    with pytest.raises(ValueError, match="pad_multiple"):
        preset("124-r2-a1", pad_multiple=8)
    model = TimeDiffusionUNet(preset("tiny"), seed=0)
    with pytest.raises(ValueError, match=r"expects \(B, 12, 1000\)"):
        model(torch.zeros(1, 12, 1024), torch.zeros(1, dtype=torch.long), torch.zeros(1, dtype=torch.long))


def test_tiny_model_overfits_one_batch_with_x0_prediction():
    """Sanity check of trainability: one fixed batch of ECG-like signals, fixed noise and timesteps,
    x0-prediction MSE; 25 Adam steps must cut the loss by at least 10x (it takes about 15)."""
    cfg = preset("tiny", signal_length=256)  # 2.56 s keeps the test to seconds
    model = TimeDiffusionUNet(cfg, seed=4)
    gen = torch.Generator().manual_seed(4)
    time = torch.arange(cfg.signal_length) / 100.0  # seconds at 100 Hz
    beats = torch.stack([torch.sin(2 * math.pi * f * time) for f in (1.0, 1.3, 1.6, 2.0)])
    x0 = beats[:, None, :] * torch.linspace(0.2, 1.0, cfg.n_leads)[None, :, None]  # (4, 12, L) mV
    alpha_bar = torch.tensor([0.9, 0.6, 0.3, 0.1])[:, None, None]
    x_t = alpha_bar.sqrt() * x0 + (1 - alpha_bar).sqrt() * torch.randn(x0.shape, generator=gen)
    t, y = torch.tensor([100, 400, 700, 900]), torch.tensor([0, 1, 2, 3])
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    losses = []
    for _ in range(25):
        loss = F.mse_loss(model(x_t, t, y), x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert min(losses[-5:]) < losses[0] / 10, losses

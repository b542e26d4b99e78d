"""SSSD-ECG: S4 kernels, lead completion (Einthoven/Goldberger), canonical order, kernel cache."""

import numpy as np
import pytest
import torch

from synecg.constants import LEAD_INDEX, LEADS
from synecg.generators.s4 import S4DKernel, S4Layer, fft_conv, hippo_legs_diagonal
from synecg.generators.sssd import MODELLED_INDEX, MODELLED_LEADS, PRESETS, SSSD, complete_leads


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_s4d_kernel_is_the_impulse_response_of_the_discretised_diagonal_ssm():
    torch.manual_seed(0)
    k = S4DKernel(3, d_state=8, init="legs")
    length = 50
    kernel = k(length).double()
    dt = k.log_dt.double().exp()[:, None]
    lam = torch.complex(-k.log_neg_re.double().exp(), k.im.double())
    a_bar = torch.exp(dt * lam)
    b_bar = (a_bar - 1) / lam  # zero-order hold, B = 1
    c = torch.view_as_complex(k.c.double().contiguous())
    state = b_bar.clone()  # state after an impulse at step 0
    for step in range(length):
        y = 2 * (c * state).sum(-1).real
        torch.testing.assert_close(kernel[:, step], y, rtol=1e-4, atol=1e-5)
        state = a_bar * state


def test_legs_init_eigenvalues_are_the_normal_part_of_hippo_legs():
    n = 8
    lam = hippo_legs_diagonal(n)
    idx = torch.arange(n, dtype=torch.float64)
    a = -torch.sqrt(2 * idx[:, None] + 1) * torch.sqrt(2 * idx[None, :] + 1)
    a = torch.tril(a, -1) - torch.diag(idx + 1)  # HiPPO-LegS
    p = torch.sqrt(idx + 0.5)
    eig = torch.linalg.eigvals(a + p[:, None] * p[None, :])
    top = torch.sort(eig[eig.imag > 0].imag).values
    torch.testing.assert_close(lam.imag, top[: n // 2])
    assert torch.all(lam.real == -0.5)


def test_bidirectional_fft_convolution_equals_direct_convolution():
    rng = np.random.default_rng(0)
    u = rng.normal(size=(2, 3, 20))
    kf, kb = rng.normal(size=(3, 20)), rng.normal(size=(3, 20))
    y = fft_conv(torch.tensor(u), torch.tensor(kf), torch.tensor(kb)).numpy()
    expect = np.zeros_like(u)
    for n in range(20):
        for j in range(20):
            if j <= n:
                expect[..., n] += kf[:, j] * u[..., n - j]  # causal lag j
            if n + j + 1 < 20:
                expect[..., n] += kb[:, j] * u[..., n + j + 1]  # anti-causal lag -(j + 1)
    np.testing.assert_allclose(y, expect, atol=1e-4)


def test_completed_leads_satisfy_einthoven_and_goldberger_exactly_in_canonical_order():
    x8 = torch.randn(5, 8, 100, dtype=torch.float64)
    x12 = complete_leads(x8)
    lead = {name: x12[:, i] for i, name in enumerate(LEADS)}
    torch.testing.assert_close(lead["II"], lead["I"] + lead["III"], rtol=0, atol=1e-12)
    torch.testing.assert_close(lead["aVR"] + lead["aVL"] + lead["aVF"], torch.zeros_like(lead["I"]), rtol=0, atol=1e-12)
    torch.testing.assert_close(lead["aVR"], -(lead["I"] + lead["II"]) / 2, rtol=0, atol=1e-12)
    torch.testing.assert_close(lead["aVL"], (lead["I"] - lead["III"]) / 2, rtol=0, atol=1e-12)
    torch.testing.assert_close(lead["aVF"], (lead["II"] + lead["III"]) / 2, rtol=0, atol=1e-12)
    for i, name in enumerate(MODELLED_LEADS):  # modelled leads pass through unchanged, in place
        assert torch.equal(x12[:, LEAD_INDEX[name]], x8[:, i])


def test_completion_recovers_a_real_12_lead_record_from_its_8_modelled_leads():
    # A record built by the same laws from independent I, II and chest leads.
    i, ii = torch.randn(2, 1, 50)
    iii = ii - i
    limb = torch.stack([i, ii, iii, -(i + ii) / 2, i - ii / 2, ii - i / 2])
    record = torch.cat([limb, torch.randn(6, 1, 50)]).transpose(0, 1)  # (1, 12, 50) canonical
    torch.testing.assert_close(complete_leads(record[:, list(MODELLED_INDEX)]), record)


def test_sssd_maps_8_leads_to_8_leads_and_starts_as_the_zero_predictor():
    net = SSSD(PRESETS["tiny"])
    x = torch.randn(3, 8, 40)
    out = net(x, torch.tensor([0, 5, 199]), torch.tensor([0, 3, 6]))
    assert out.shape == (3, 8, 40)
    assert torch.all(out == 0)  # zero-initialised output layer


def test_s4_kernel_is_cached_in_eval_without_grad_and_refreshed_when_weights_change():
    layer = S4Layer(4, d_state=4).eval()
    u = torch.randn(1, 4, 30)
    calls = {"n": 0}
    original = layer.kernel.forward

    def counting(length):
        calls["n"] += 1
        return original(length)

    layer.kernel.forward = counting
    with torch.no_grad():
        a = layer(u)
        b = layer(u)
    assert calls["n"] == 1 and torch.equal(a, b)
    with torch.no_grad():
        layer.kernel.c.add_(0.5)  # e.g. EMA weights loaded
        c = layer(u)
    assert calls["n"] == 2 and not torch.equal(a, c)
    layer.train()
    layer(u).sum().backward()  # training never uses the cache (and recomputes the kernel in backward)
    assert calls["n"] == 4 and layer.kernel.c.grad is not None


def test_s4_trains_only_c_with_one_delta_per_channel_and_unit_variance_c_as_sssd_ecg():
    torch.manual_seed(0)
    layer = S4Layer(64, d_state=64, bidirectional=True)
    k = layer.kernel
    trainable = {n for n, p in k.named_parameters() if p.requires_grad}
    assert trainable == {"c"}
    assert {"log_dt", "log_neg_re", "im"} <= dict(k.named_buffers()).keys()  # fixed buffers, saved in the state dict
    assert k.log_dt.shape == (64,) and k.c.shape == (2 * 64, 32, 2)  # one Δ shared by both directions
    assert float(torch.view_as_complex(k.c.detach()).abs().pow(2).mean()) == pytest.approx(1.0, rel=0.05)


def test_sssd_paper_preset_has_the_reference_50_2_m_trainable_parameters():
    net = SSSD(PRESETS["paper"])  # construction only, no forward pass
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    assert trainable == pytest.approx(50.2e6, rel=0.02)


def test_s4_layer_output_does_not_depend_on_batch_neighbours():
    layer = S4Layer(4, d_state=4).eval()
    u = torch.randn(3, 4, 30)
    with torch.no_grad():
        torch.testing.assert_close(layer(u)[1:2], layer(u[1:2]))

"""The DDPM process: schedules, losses, samplers, bank labels, and the train/sample entry points."""

import numpy as np
import pytest
import torch

from synecg.generators import diffusion_train
from synecg.generators.bank import class_draws
from synecg.generators.diffusion import DiffusionProcess, ProcessConfig
from synecg.generators.diffusion_train import Runtime, TrainSettings, load_network, sample_diffusion, train_diffusion

pytestmark = pytest.mark.usefixtures("one_torch_thread")


TIME_DIFFUSION = ProcessConfig(train_steps=1000, beta_end=1e-2, zero_terminal_snr=True, prediction="sample", weighting="snr")
SSSD = ProcessConfig(train_steps=200, beta_end=0.02, prediction="epsilon")


def test_zero_terminal_snr_schedule_ends_at_pure_noise_and_alpha_bar_decreases():
    ab = DiffusionProcess(TIME_DIFFUSION).alphas_cumprod
    assert ab[-1] == 0.0
    assert torch.all(ab[1:] < ab[:-1])
    assert ab[0] == pytest.approx(1 - 1e-4, abs=1e-6)  # the rescale keeps the first step's ᾱ (Lin et al. Alg. 1)


def test_sssd_schedule_is_the_published_linear_beta_schedule():
    ab = DiffusionProcess(SSSD).alphas_cumprod
    betas = np.linspace(1e-4, 0.02, 200)
    np.testing.assert_allclose(ab.numpy(), np.cumprod(1 - betas), rtol=1e-5)
    assert ab[-1] > 0


def test_snr_weighting_floors_the_zero_snr_step_and_matches_snr_elsewhere():
    proc = DiffusionProcess(TIME_DIFFUSION)
    w, snr = proc.loss_weights(), proc.snr()
    assert torch.all(torch.isfinite(w)) and torch.all(w > 0)
    assert w[-1] == pytest.approx(float(snr[-2]), rel=1e-5)
    np.testing.assert_allclose(w[:-1].numpy(), snr[:-1].numpy(), rtol=1e-5)
    trunc = DiffusionProcess(ProcessConfig(**{**TIME_DIFFUSION.__dict__, "weighting": "truncated_snr"})).loss_weights()
    assert trunc.min() == 1.0


def test_epsilon_prediction_with_zero_terminal_snr_is_rejected():
    with pytest.raises(ValueError, match="zero terminal SNR"):
        ProcessConfig(zero_terminal_snr=True, prediction="epsilon")


def test_x0_loss_of_the_true_signal_is_zero_and_eps_loss_of_the_true_noise_is_zero():
    x0 = torch.randn(4, 3, 32)
    y = torch.zeros(4, dtype=torch.long)
    proc = DiffusionProcess(TIME_DIFFUSION)
    assert proc.training_loss(lambda x_t, t, y: x0, x0, y, torch.Generator().manual_seed(0)) == 0
    proc = DiffusionProcess(SSSD)
    gen = torch.Generator().manual_seed(1)
    state = gen.get_state()
    torch.randint(0, 200, (4,), generator=gen)
    noise = torch.randn(x0.shape, generator=gen)
    gen.set_state(state)
    assert proc.training_loss(lambda x_t, t, y: noise, x0, y, gen) == 0


@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_sampler_with_an_oracle_x0_network_returns_that_signal(sampler):
    target = torch.linspace(-1, 1, 16).expand(2, 3, 16).clone()
    proc = DiffusionProcess(ProcessConfig(train_steps=50, beta_end=0.05, zero_terminal_snr=True, prediction="sample"))
    x = proc.sample(lambda x_t, t, y: target, torch.zeros(2, dtype=torch.long), (3, 16), torch.Generator().manual_seed(0), sampler, 10)
    torch.testing.assert_close(x, target, atol=1e-3, rtol=0)


def v_oracle(proc: DiffusionProcess, target: torch.Tensor):
    """The exact v = √ᾱ ε − √(1−ᾱ) x0 of a data distribution that is the one signal ``target``."""
    ab = proc.alphas_cumprod.float()

    def net(x_t, t, y):
        a, s = ab[t].sqrt().view(-1, 1, 1), (1 - ab[t]).sqrt().view(-1, 1, 1)
        eps = (x_t - a * target) / s.clamp_min(1e-12)
        return a * eps - s * target

    return net


@pytest.mark.parametrize("zero_snr", [False, True])
@pytest.mark.parametrize("sampler", ["ddpm", "ddim"])
def test_v_prediction_oracle_has_zero_loss_and_samples_its_signal(sampler, zero_snr):
    target = torch.linspace(-1, 1, 16).expand(2, 3, 16).clone()
    proc = DiffusionProcess(ProcessConfig(train_steps=50, beta_end=0.05, zero_terminal_snr=zero_snr, prediction="v_prediction"))
    net = v_oracle(proc, target)
    y = torch.zeros(2, dtype=torch.long)
    assert proc.training_loss(net, target, y, torch.Generator().manual_seed(0)) < 1e-10
    x = proc.sample(net, y, (3, 16), torch.Generator().manual_seed(0), sampler, 10)
    torch.testing.assert_close(x, target, atol=1e-3, rtol=0)
    # a wrong convention (the oracle's ε read as v) does not land on the signal
    wrong = proc.sample(lambda x_t, t, y: (x_t - proc.alphas_cumprod.float()[t].sqrt().view(-1, 1, 1) * target),
                        y, (3, 16), torch.Generator().manual_seed(0), sampler, 10)
    assert (wrong - target).abs().max() > 0.1


def test_balanced_draws_skip_classes_absent_from_training_and_real_draws_follow_frequencies():
    train = np.array([0] * 90 + [3] * 10)
    bal = class_draws(5, 7, "balanced", np.random.default_rng(0), train)
    assert np.array_equal(bal, np.repeat([0, 3], 5))
    real = class_draws(100, 7, "real", np.random.default_rng(0), train)
    assert len(real) == 700 and set(real) <= {0, 3}
    assert 0.85 < np.mean(real == 0) < 0.95


def _data(n=24, length=64, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 12, length)).astype(np.float32), rng.integers(0, 7, n)


TINY_STEPS = dict(steps=7, batch_size=4, checkpoint_every=2, log_every=2, val_every=3, val_batches=1)


@pytest.mark.parametrize("name", ["sssd", "diffwave", "timediffusion"])
def test_killed_and_resumed_training_ends_with_the_uninterrupted_weights(name, tmp_path, monkeypatch):
    x, y = _data()
    settings = TrainSettings(preset="tiny", **TINY_STEPS)
    ref = train_diffusion(name, settings, x, y, x[:4], y[:4], tmp_path / "ref", seed=3)

    calls = {"n": 0}
    original = diffusion_train.DiffusionProcess.training_loss

    def crashing(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 6:  # the 6th training batch (validation at step 3 also calls it once)
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(diffusion_train.DiffusionProcess, "training_loss", crashing)
    with pytest.raises(KeyboardInterrupt):
        train_diffusion(name, settings, x, y, x[:4], y[:4], tmp_path / "run", seed=3)
    monkeypatch.setattr(diffusion_train.DiffusionProcess, "training_loss", original)
    resumed = train_diffusion(name, settings, x, y, x[:4], y[:4], tmp_path / "run", seed=3)
    assert resumed["final_step"] == 7
    for key in ("state_dict", "ema_state_dict"):
        for k, v in ref[key].items():
            assert torch.equal(v, resumed[key][k]), f"{key}.{k} differs after resume"


def test_changed_settings_do_not_resume_from_old_checkpoints(tmp_path):
    x, y = _data()
    train_diffusion("diffwave", TrainSettings(preset="tiny", **TINY_STEPS), x, y, None, None, tmp_path, seed=3)
    logs = []

    class Log:
        def info(self, msg):
            logs.append(msg)

    train_diffusion("diffwave", TrainSettings(preset="tiny", lr=1e-3, **TINY_STEPS), x, y, None, None, tmp_path, seed=3, logger=Log())
    assert any("starting at step 0" in m for m in logs)


@pytest.mark.parametrize("name", ["sssd", "timediffusion"])
def test_sampler_reproduces_a_bank_bit_for_bit_from_the_same_seed(name, tmp_path):
    x, y = _data()
    payload = train_diffusion(name, TrainSettings(preset="tiny", steps=2, batch_size=4), x, y, None, None, tmp_path, seed=1)
    labels = np.array([0, 1, 2, 6, 6])
    a = sample_diffusion(payload, labels, seed=11, sampler="ddim", steps=4, batch_size=2)
    b = sample_diffusion(payload, labels, seed=11, sampler="ddim", steps=4, batch_size=2)
    c = sample_diffusion(payload, labels, seed=12, sampler="ddim", steps=4, batch_size=2)
    assert a.shape == (5, 12, 64) and a.dtype == np.float32
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)
    if name == "sssd":  # the full ancestral sampler too (T = 200; Time-Diffusion's T = 1000 is slow here)
        d = sample_diffusion(payload, labels[:2], seed=11, sampler="ddpm", batch_size=2)
        assert np.array_equal(d, sample_diffusion(payload, labels[:2], seed=11, sampler="ddpm", batch_size=2))


def test_model_payload_round_trips_through_load_network(tmp_path):
    x, y = _data()
    payload = train_diffusion("diffwave", TrainSettings(preset="tiny", steps=2, batch_size=4), x, y, None, None, tmp_path, seed=1)
    net = load_network(payload, "final")
    for k, v in payload["state_dict"].items():
        assert torch.equal(net.state_dict()[k], v)
    assert not net.training


def test_class_conditioning_separates_two_very_different_classes(tmp_path):
    """Class 0 sits at +1 mV, class 1 at -1 mV (plus a wave): the samples' means tell them apart.

    The process here ends at zero SNR (x0-prediction), so a sample can only find its level through
    the class input: with SSSD's T=200 schedule ᾱ_T = 0.13 and the level would leak through x_T.
    """
    rng = np.random.default_rng(0)
    n, length = 64, 64
    y = np.repeat([0, 1], n // 2)
    wave = 0.3 * np.sin(2 * np.pi * np.arange(length) / 32)
    x = (np.where(y == 0, 1.0, -1.0)[:, None, None] + wave + 0.05 * rng.normal(size=(n, 12, length))).astype(np.float32)
    settings = TrainSettings(preset="tiny", steps=100, batch_size=16, lr=3e-3, ema_decay=0.9, log_every=50, checkpoint_every=1000)
    process = ProcessConfig(train_steps=100, beta_end=0.05, zero_terminal_snr=True, prediction="sample", weighting="none")
    payload = train_diffusion("diffwave", settings, x, y, None, None, tmp_path, seed=0, process_config=process)
    labels = np.repeat([0, 1], 8)
    samples = sample_diffusion(payload, labels, seed=5, sampler="ddim", steps=10, batch_size=16)
    means = samples.mean(axis=(1, 2))
    assert means[labels == 0].min() > 0.5 and means[labels == 1].max() < -0.5


def test_runtime_autocast_is_off_on_cpu():
    assert not Runtime(torch.device("cpu"), bf16=True).autocast


def test_unknown_preset_or_model_field_is_an_error_naming_it():
    from synecg.generators.registry import spec

    with pytest.raises(KeyError, match="huge"):
        spec("sssd").network_config("huge")
    with pytest.raises(KeyError, match="layerz"):
        spec("diffwave").network_config("tiny", {"layerz": 3})
    assert spec("timediffusion").network_config("tiny", signal_length=500).signal_length == 500


def _replayed_targets(proc, x0, seed):
    """(t, noise) that ``training_loss`` draws from a generator seeded with ``seed``."""
    gen = torch.Generator().manual_seed(seed)
    t = torch.randint(0, proc.cfg.train_steps, (x0.shape[0],), generator=gen)
    return t, torch.randn(x0.shape, generator=gen)


def test_time_diffusion_paper_loss_is_the_authors_broadcast_loss_an_unweighted_x0_mse():
    from synecg.generators.registry import spec

    paper = spec("timediffusion").process
    assert paper.weighting == "none" and paper.prediction == "sample"
    proc = DiffusionProcess(paper)
    x0 = torch.randn(6, 12, 40, generator=torch.Generator().manual_seed(5))
    guess = torch.randn(6, 12, 40, generator=torch.Generator().manual_seed(6))
    ours = proc.training_loss(lambda x_t, t, y: guess, x0, torch.zeros(6, dtype=torch.long), torch.Generator().manual_seed(7))
    t, _ = _replayed_targets(proc, x0, 7)
    snr = proc.loss_weights_of("snr")[t].view(-1, 1, 1, 1)  # the authors' (B,1,1,1) weight
    authors = (snr * (guess - x0).pow(2)).mean()  # broadcasts to (B, B, 12, L)
    assert float(authors) == pytest.approx(float(snr.mean()) * float(ours), rel=1e-5)
    assert float(ours) == pytest.approx(float((guess - x0).pow(2).mean()), rel=1e-6)


def test_snr_weighting_option_weights_each_sample_by_its_own_snr():
    proc = DiffusionProcess(TIME_DIFFUSION)
    x0 = torch.randn(6, 12, 40, generator=torch.Generator().manual_seed(5))
    guess = torch.randn(6, 12, 40, generator=torch.Generator().manual_seed(6))
    loss = proc.training_loss(lambda x_t, t, y: guess, x0, torch.zeros(6, dtype=torch.long), torch.Generator().manual_seed(7))
    t, _ = _replayed_targets(proc, x0, 7)
    per_sample = (guess - x0).pow(2).mean(dim=(1, 2))
    assert float(loss) == pytest.approx(float((proc.loss_weights()[t] * per_sample).mean()), rel=1e-5)
    assert float(loss) != pytest.approx(float(proc.loss_weights()[t].mean() * per_sample.mean()), rel=1e-3)


def test_sssd_schedule_terminal_signal_level_and_zero_snr_rescale():
    faithful = DiffusionProcess(SSSD).alphas_cumprod
    assert float(faithful[-1].sqrt()) == pytest.approx(0.36, abs=0.01)  # sampling starts off the training distribution
    rescaled = DiffusionProcess(ProcessConfig(train_steps=200, beta_end=0.02, zero_terminal_snr=True, prediction="sample"))
    assert float(rescaled.alphas_cumprod[-1]) == 0.0


def test_training_checkpoint_and_final_model_load_with_weights_only(tmp_path):
    x, y = _data()
    payload = train_diffusion("sssd", TrainSettings(preset="tiny", steps=2, batch_size=4, checkpoint_every=1), x, y, None, None,
                              tmp_path / "ckpt", seed=1)
    path = tmp_path / "model.pt"
    torch.save(payload, path)
    loaded = torch.load(path, map_location="cpu", weights_only=True)
    assert loaded["final_step"] == 2
    torch.testing.assert_close(load_network(loaded).state_dict(), load_network(payload).state_dict())
    for ckpt in sorted((tmp_path / "ckpt").glob("step_*.pt")):
        assert torch.load(ckpt, map_location="cpu", weights_only=True)["components"]["net"]


def test_guided_sampler_follows_uncond_plus_w_times_cond_minus_uncond():
    """Oracle x0 network: class 0 -> +1, null class (7) -> -1. Guidance w gives -1 + 2w (DDIM, zero terminal SNR)."""
    proc = DiffusionProcess(ProcessConfig(train_steps=50, beta_end=0.05, zero_terminal_snr=True, prediction="sample"))

    def oracle(x_t, t, y):
        return torch.where(y == 7, -1.0, 1.0)[:, None, None].expand(-1, 3, 16)

    y = torch.zeros(2, dtype=torch.long)
    for w, expected in ((1.0, 1.0), (3.0, 5.0), (0.0, -1.0)):
        x = proc.sample(oracle, y, (3, 16), torch.Generator().manual_seed(0), "ddim", 10, guidance=w, null_class=7)
        torch.testing.assert_close(x, torch.full_like(x, expected), atol=1e-3, rtol=0)
    with pytest.raises(ValueError, match="null class"):
        proc.sample(oracle, y, (3, 16), torch.Generator().manual_seed(0), "ddim", 10, guidance=2.0)


def test_label_dropout_sends_the_null_class_and_p_uncond_zero_keeps_the_random_stream():
    proc = DiffusionProcess(TIME_DIFFUSION)
    x0, y = torch.randn(64, 3, 16), torch.zeros(64, dtype=torch.long)
    seen = []

    def net(x_t, t, labels):
        seen.append(labels.clone())
        return x_t

    plain = proc.training_loss(net, x0, y, torch.Generator().manual_seed(4))
    assert proc.training_loss(net, x0, y, torch.Generator().manual_seed(4), p_uncond=0.0, null_class=7) == plain
    dropped = proc.training_loss(net, x0, y, torch.Generator().manual_seed(4), p_uncond=0.5, null_class=7)
    assert dropped == plain  # the drop draws come after t and noise, and this net ignores labels
    share = (seen[-1] == 7).float().mean()
    assert 0.3 < share < 0.7 and set(seen[-1].tolist()) == {0, 7}
    with pytest.raises(ValueError, match="null class"):
        proc.training_loss(net, x0, y, torch.Generator().manual_seed(4), p_uncond=0.1)


def test_data_scale_zero_is_one_over_the_training_std_and_samples_come_back_in_mv(tmp_path):
    x, y = _data()
    x = 0.1 * x
    payload = train_diffusion("diffwave", TrainSettings(preset="tiny", steps=1, batch_size=4, data_scale=0), x, y, None, None,
                              tmp_path, seed=1)
    assert payload["data_scale"] == pytest.approx(1 / float(x.astype(np.float64).std()), rel=1e-6)
    labels = np.array([0, 3])
    unit = sample_diffusion({**payload, "data_scale": 1.0}, labels, seed=2, sampler="ddim", steps=3)
    scaled = sample_diffusion({**payload, "data_scale": 4.0}, labels, seed=2, sampler="ddim", steps=3)
    np.testing.assert_allclose(scaled, unit / 4.0, rtol=1e-6)
    with pytest.raises(ValueError, match="null_class"):
        train_diffusion("diffwave", TrainSettings(preset="tiny", steps=1, batch_size=4, p_uncond=0.1), x, y, None, None,
                        tmp_path / "b", seed=1)


def test_process_changes_keep_the_reference_schedule_and_reject_fixed_fields():
    from synecg.generators.registry import process_for, spec

    assert process_for("sssd") == spec("sssd").process
    zt = process_for("diffwave", {"zero_terminal_snr": True, "prediction": "v_prediction"})
    assert (zt.train_steps, zt.beta_start, zt.beta_end) == (200, 1e-4, 0.02)
    assert DiffusionProcess(zt).alphas_cumprod[-1] == 0.0
    with pytest.raises(KeyError, match="train_steps"):
        process_for("sssd", {"train_steps": 1000})
    with pytest.raises(ValueError, match="zero terminal SNR"):
        process_for("sssd", {"zero_terminal_snr": True})


def test_config_schema_takes_the_objective_and_guidance_keys_and_rejects_fixed_schedule_fields(repo_root):
    import copy

    import yaml
    from snakemake.exceptions import WorkflowError
    from snakemake.utils import validate

    schema = str(repo_root / "workflow" / "schemas" / "config.schema.yaml")
    base = yaml.safe_load((repo_root / "config" / "config.yaml").read_text())
    ok = copy.deepcopy(base)
    ok["generators"]["diffwave"].update(data_scale=0, p_uncond=0.1, guidance_scale=2.0,
                                        process={"zero_terminal_snr": True, "prediction": "v_prediction"})
    validate(ok, schema)
    for bad in ({"train_steps": 1000}, {"prediction": "velocity"}):
        cfg = copy.deepcopy(base)
        cfg["generators"]["sssd"]["process"] = bad
        with pytest.raises(WorkflowError):
            validate(cfg, schema)

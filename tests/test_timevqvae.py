"""TimeVQVAE: the STFT band split, the quantiser, the MaskGIT prior, sampling, resumable training."""

import math

import numpy as np
import pytest
import torch

from synecg.generators.timevqvae import stft as tf
from synecg.generators.timevqvae.config import PriorConfig, Stage2Config, SamplingConfig, preset, resolve, stage_params
from synecg.generators.timevqvae.sampling import decode_branch, guided_logits, n_masked_after, sample_tokens
from synecg.generators.timevqvae.stage1 import VQVAE
from synecg.generators.timevqvae.stage2 import Priors, mask_ratio, random_mask
from synecg.generators.timevqvae.train import train_stage2

FS = 100.0


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _lf_share(f_hz: float, n_fft: int, length: int = 1000) -> float:
    """Fraction of a sinusoid's energy that lands in the LF band (edges trimmed)."""
    t = torch.arange(length) / FS
    x = torch.sin(2 * math.pi * f_hz * t).reshape(1, 1, -1)
    lf, hf = tf.split_lf_hf(x, n_fft)
    e_lf, e_hf = (lf[..., 100:-100] ** 2).sum(), (hf[..., 100:-100] ** 2).sum()
    return float(e_lf / (e_lf + e_hf))


def test_lf_plus_hf_reconstructs_the_input():
    x = torch.randn(2, 12, 1000, generator=torch.Generator().manual_seed(0))
    for n_fft in (4, 8, 16):
        lf, hf = tf.split_lf_hf(x, n_fft)
        assert torch.allclose(lf + hf, x, atol=1e-5)
        assert lf.abs().mean() > 0.05 and hf.abs().mean() > 0.05  # both bands carry part of white noise


@pytest.mark.parametrize("n_fft", [4, 16])
def test_crossover_frequency_is_fs_over_two_nfft(n_fft):
    fc = tf.crossover_hz(FS, n_fft)  # 12.5 Hz for n_fft 4, 3.1 Hz for n_fft 16
    assert _lf_share(0.6 * fc, n_fft) > 0.55
    assert abs(_lf_share(fc, n_fft) - 0.5) < 0.05
    assert _lf_share(1.4 * fc, n_fft) < 0.45
    assert _lf_share(2.5 * fc, n_fft) < 0.02  # well above: (nearly) all HF


# The authors' 2024 model (ML4ITS/TimeVQVAE 65dd0fd with AI4HA-UPC config_{ptbxl,chapman}.yaml):
# stage-1 encoder + decoder parameters, and LF/HF tokens (every band on all 9 rows of n_fft 16).
REFERENCE_STAGE1 = {"ptbxl": (15.5e6, (63, 279)), "chapman": (28.9e6, (135, 135))}


@pytest.mark.parametrize("dataset", ["ptbxl", "chapman"])
def test_paper_preset_matches_the_reference_parameter_and_token_counts(dataset):
    params, tokens = REFERENCE_STAGE1[dataset]
    model = VQVAE(12, 1000, preset("paper", dataset).stage1)
    n = sum(p.numel() for p in model.parameters())  # the EMA codebooks are buffers, as in the reference
    assert abs(n - params) / params < 0.02
    assert model.n_tokens == tokens
    assert not any(isinstance(m, torch.nn.Conv2d) and m.groups > 1 for m in model.modules())  # full convolutions
    drops = [m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)]
    assert drops and set(drops) == {0.3}


def test_paper_preset_decoder_outputs_match_the_input_shape_and_bands():
    model = VQVAE(12, 1000, preset("paper").stage1).eval()
    x = torch.randn(1, 12, 1000, generator=torch.Generator().manual_seed(0))
    out = model(x)
    assert out.xhat_lf.shape == out.xhat_hf.shape == x.shape
    assert out.tokens_lf.shape == (1, 63) and out.tokens_hf.shape == (1, 279)
    x_lf, x_hf = model.decode(out.tokens_lf, out.tokens_hf)
    assert torch.allclose(x_lf, out.xhat_lf, atol=1e-4) and torch.allclose(x_hf, out.xhat_hf, atol=1e-4)


def test_token_counts_of_the_presets():
    lf, hf = VQVAE(12, 1000, preset("ecg").stage1).n_tokens  # generators.md sec. 8: ~31 and ~250
    assert 30 <= lf <= 33 and 248 <= hf <= 256


def test_paper_preset_optimisation_is_the_reference_schedule():
    for s in (preset("paper").stage1, preset("paper").stage2):
        assert s.lr == 5e-4 and s.lr * s.min_lr_ratio == pytest.approx(1e-6) and s.weight_decay == 0.01
        assert s.warmup_fraction == 0.1


def test_quantiser_shapes_and_codebook_usage():
    torch.manual_seed(0)
    cfg = preset("tiny").stage1
    model = VQVAE(12, 400, cfg)
    x = torch.randn(16, 12, 400)
    out = model(x)  # training mode
    n_lf, n_hf = model.n_tokens
    assert out.xhat_lf.shape == out.xhat_hf.shape == x.shape
    assert out.tokens_lf.shape == (16, n_lf) and out.tokens_hf.shape == (16, n_hf)
    assert int(out.tokens_hf.max()) < cfg.codebook_size and out.vq_loss.ndim == 0
    model = VQVAE(12, 400, cfg).eval()
    first = model(x)  # k-means initialises the codebooks on the first batch
    lf, hf = model.encode(x)
    assert torch.equal(lf, first.tokens_lf) and torch.equal(hf, first.tokens_hf)
    # k-means on this batch spreads the batch over many codes
    assert lf.unique().numel() > cfg.codebook_size // 4 and hf.unique().numel() > cfg.codebook_size // 4
    x_lf, x_hf = model.decode(lf, hf)
    assert torch.allclose(x_lf, first.xhat_lf, atol=1e-5) and torch.allclose(x_hf, first.xhat_hf, atol=1e-5)


def test_training_mask_keeps_floor_cos_share_known_as_the_reference():
    assert float(mask_ratio(torch.tensor(0.0))) == pytest.approx(1.0)
    assert float(mask_ratio(torch.tensor(1.0))) == pytest.approx(0.0, abs=1e-7)
    assert float(mask_ratio(torch.tensor(0.5))) == pytest.approx(math.cos(math.pi / 4))
    assert Stage2Config().mask_schedule == preset("paper").stage2.mask_schedule == "timevqvae"
    mask = random_mask(20000, 63, torch.Generator().manual_seed(0), "cpu", "timevqvae")
    per_row = mask.sum(1)
    assert per_row.min() >= 1 and per_row.max() == 63
    # floor(cos(pi u/2) N) known: 1 - 2/pi ~ 0.363 of the tokens masked on average (plus < 1/N from the floor)
    assert float(per_row.float().mean() / 63) == pytest.approx(1 - 2 / math.pi + 0.5 / 63, abs=0.01)
    maskgit = random_mask(20000, 63, torch.Generator().manual_seed(0), "cpu", "maskgit").sum(1)
    assert float(maskgit.float().mean() / 63) == pytest.approx(2 / math.pi + 0.5 / 63, abs=0.01)
    with pytest.raises(ValueError, match="mask schedule"):
        random_mask(2, 4, torch.Generator(), "cpu", "linear")


def test_decoding_schedule_unmasks_monotonically_to_zero():
    n, steps, left = 100, 10, 100
    seq = []
    for s in range(steps):
        left = n_masked_after(s, steps, n, left)
        seq.append(left)
    assert seq[-1] == 0 and all(a > b for a, b in zip(seq, seq[1:]))
    assert seq[0] == math.floor(100 * math.cos(math.pi / 20))


# Prior parameters (LF + HF) of the authors' 2024 code: ML4ITS/TimeVQVAE 65dd0fd BidirectionalTransformer on
# x-transformers 1.31.6 with the AI4HA-UPC prior configs, 7 classes, codebooks of 64, the tokens above.
# Counted with benchmarks/issue10/prior_equivalence.py, which also finds the same logits (max |diff| 1.5e-5).
REFERENCE_PRIORS = {"ptbxl": (190_335, 302_679), "chapman": (199_623, 274_887)}


@pytest.mark.parametrize("dataset", ["ptbxl", "chapman"])
def test_paper_priors_match_the_reference_parameter_counts(dataset):
    (n_lf, n_hf), cfg = REFERENCE_STAGE1[dataset][1], preset("paper", dataset)
    priors = Priors(cfg.stage2, cfg.stage1.codebook_size, n_lf, n_hf, 9, 7)
    counts = tuple(sum(p.numel() for p in m.parameters()) for m in (priors.lf, priors.hf))
    assert counts == REFERENCE_PRIORS[dataset]
    assert {cfg.stage2.lf.architecture, cfg.stage2.hf.architecture} == {"ml4its-2024"}


def test_reference_prior_drops_known_token_embeddings_only_in_training():
    torch.manual_seed(0)
    cfg = PriorConfig(hidden=16, layers=2, heads=2, ff_mult=1, dropout=0.3, architecture="ml4its-2024", emb_dropout=0.5)
    priors = Priors(Stage2Config(lf=cfg, hf=cfg), 8, 6, 8, 2, 7)
    tokens = torch.tensor([[8, 1, 2, 8, 4, 5]])
    emb = priors.lf._embed(priors.lf.token_emb, tokens, 8)
    masked = priors.lf.token_emb.weight[8]
    assert torch.equal(emb[0, 0], masked) and torch.equal(emb[0, 3], masked)  # mask embeddings kept
    assert (emb[0, [1, 2, 4, 5]] == 0).any()  # known-token embeddings dropped
    priors.eval()
    labels = torch.tensor([3])
    assert torch.equal(priors.lf(tokens, labels), priors.lf(tokens, labels))  # no dropout of any kind in eval


def _priors(seed=0, n_classes=7, lf_tokens=6, hf_tokens=8, codebook=8, architecture="encoder"):
    torch.manual_seed(seed)
    small = PriorConfig(hidden=32, layers=1, heads=2, ff_mult=2, dropout=0.0, architecture=architecture)
    return Priors(Stage2Config(lf=small, hf=small), codebook, lf_tokens, hf_tokens, 2, n_classes)


@pytest.mark.parametrize("architecture", ["encoder", "ml4its-2024"])
def test_cfg_scale_one_equals_the_conditional_pass_and_two_extrapolates(architecture):
    priors = _priors(architecture=architecture).eval()
    tokens = torch.randint(0, 9, (5, 6), generator=torch.Generator().manual_seed(1))
    labels = torch.tensor([0, 1, 2, 3, 4])
    cond = priors.lf(tokens, labels)
    uncond = priors.lf(tokens, torch.full_like(labels, 7))
    assert torch.equal(guided_logits(priors.lf, tokens, labels, None, 1.0), cond)
    assert torch.allclose(guided_logits(priors.lf, tokens, labels, None, 2.0), 2 * cond - uncond, atol=1e-5)


@pytest.mark.parametrize("architecture", ["encoder", "ml4its-2024"])
def test_seeded_sampling_is_reproducible_and_fills_every_token(architecture):
    priors = _priors(architecture=architecture).eval()
    labels = torch.tensor([0, 0, 3, 6])
    cfg = SamplingConfig(steps_lf=5, steps_hf=5, cfg_scale=1.5, temperature_lf=4.0, temperature_hf=1.0)
    a = sample_tokens(priors, labels, cfg, torch.Generator().manual_seed(3))
    b = sample_tokens(priors, labels, cfg, torch.Generator().manual_seed(3))
    c = sample_tokens(priors, labels, cfg, torch.Generator().manual_seed(4))
    assert all(torch.equal(u, v) for u, v in zip(a, b))
    assert not all(torch.equal(u, v) for u, v in zip(a, c))
    assert a[0].shape == (4, 6) and a[1].shape == (4, 8)
    assert int(a[0].max()) < 8 and int(a[1].max()) < 8  # no mask id left


@pytest.mark.parametrize("architecture", ["encoder", "ml4its-2024"])
def test_class_conditioning_separates_two_token_vocabularies(tmp_path, architecture):
    """Class 0 sequences use codes 0-3, class 1 codes 4-7: sampled tokens must follow the class."""
    g = torch.Generator().manual_seed(0)
    n = 256
    y = torch.arange(n) % 2
    lf = torch.randint(0, 4, (n, 6), generator=g) + 4 * y[:, None]
    hf = torch.randint(0, 4, (n, 8), generator=g) + 4 * y[:, None]
    tokens = {"train": {"lf": lf, "hf": hf, "y": y}, "val": {"lf": lf[:0], "hf": hf[:0], "y": y[:0]},
              "stage1_sha256": "fixture"}
    stage1 = {"n_tokens": [6, 8], "hf_rows": 2, "codebook_size": 8}
    small = PriorConfig(hidden=32, layers=1, heads=2, ff_mult=2, dropout=0.0, architecture=architecture)
    cfg = Stage2Config(lf=small, hf=small, batch_size=64, steps=80, lr=3e-3, checkpoint_every=1000, log_every=1000)
    payload = train_stage2(tokens, stage1, cfg, seed=1, dataset="toy", checkpoint_dir=tmp_path, device=torch.device("cpu"))
    from synecg.generators.timevqvae.train import build_stage2

    priors = build_stage2(payload)
    labels = torch.tensor([0] * 32 + [1] * 32)
    s_lf, s_hf = sample_tokens(priors, labels, SamplingConfig(steps_lf=4, steps_hf=4, temperature_lf=1.0),
                               torch.Generator().manual_seed(0))
    for tok in (s_lf, s_hf):
        in_class = ((tok >= 4).long() == labels[:, None]).float().mean()
        assert in_class > 0.9


def test_resolve_applies_preset_then_overrides_and_rejects_unknown_keys():
    cfg = resolve({"preset": "paper", "stage2": {"steps": 5, "lf": {"layers": 1}}}, "chapman")
    assert cfg.stage1.init_dim == 32 and cfg.stage1.width_lf == 16  # Chapman paper config
    assert resolve({"preset": "paper"}, "ptbxl").stage1.init_dim == 16
    assert cfg.stage2.steps == 5 and cfg.stage2.lf.layers == 1 and cfg.stage2.hf.layers == 4
    assert stage_params(cfg)["stage1"] == stage_params(resolve({"preset": "paper"}, "chapman"))["stage1"]
    with pytest.raises(ValueError, match="unknown keys"):
        resolve({"stage1": {"nfft": 4}}, "ptbxl")


@pytest.mark.parametrize("architecture", ["separable", "ml4its-2024"])
def test_every_checkpoint_the_workflow_writes_loads_with_weights_only(tmp_path, architecture):
    """stage1.pt, tokens.pt and stage2.pt as the rule scripts write them, read back with
    ``weights_only=True`` (no pickled objects) into models that give the same outputs."""
    from dataclasses import replace

    from synecg.generators.timevqvae.train import build_stage1, build_stage2, load_payload, tokenize, train_stage1

    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 12, 200)).astype(np.float32)
    y = np.arange(16) % 7
    cfg = preset("tiny")
    s1 = replace(cfg.stage1, architecture=architecture, steps=2, batch_size=8, init_dim=8, hid_dim=16,
                 n_res_blocks=1, dropout=0.3, width_lf=16, width_hf=16)
    s2 = replace(cfg.stage2, steps=2, batch_size=8)
    cpu = torch.device("cpu")
    stage1 = train_stage1(x, x[:4], s1, 0, "toy", tmp_path / "c1", cpu)
    torch.save(stage1, tmp_path / "stage1.pt")
    model = build_stage1(load_payload(tmp_path / "stage1.pt"))
    lf, hf = tokenize(model, x, cpu)
    assert torch.equal(lf, tokenize(build_stage1(stage1), x, cpu)[0])
    tokens = {"stage1_sha256": "fixture", "train": {"lf": lf, "hf": hf, "y": torch.from_numpy(y)},
              "val": {"lf": lf[:4], "hf": hf[:4], "y": torch.from_numpy(y[:4])}}
    torch.save(tokens, tmp_path / "tokens.pt")
    loaded = load_payload(tmp_path / "tokens.pt")
    stage2 = train_stage2(loaded, load_payload(tmp_path / "stage1.pt"), s2, 0, "toy", tmp_path / "c2", cpu)
    torch.save(stage2, tmp_path / "stage2.pt")
    priors = build_stage2(load_payload(tmp_path / "stage2.pt"))
    labels = torch.arange(7)
    assert torch.equal(priors.lf(lf[:7], labels), build_stage2(stage2).lf(lf[:7], labels))

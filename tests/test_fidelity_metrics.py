"""Known-answer tests for the fidelity metrics: identical sets, growing shifts, reference implementations."""

import numpy as np
import pytest
from scipy.stats import norm

from synecg.fidelity import c2st, distances, memorisation, physiology, signal

SHIFTS = (0.0, 0.25, 0.5, 1.0, 2.0)


def _gauss(n, dim=8, seed=0, shift=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, dim)) * scale + shift


def _monotone(values):
    return all(b > a for a, b in zip(values, values[1:]))


def test_chunked_knn_matches_brute_force():
    a, b = _gauss(300, seed=1), _gauss(200, seed=2)
    full = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
    expected = np.sort(full, axis=1)[:, :3]
    np.testing.assert_allclose(distances.knn_distances(a, b, 3, chunk=64), expected, rtol=1e-9, atol=1e-9)
    self_d = distances.knn_distances(a, a, 1, exclude_self=True, chunk=50)[:, 0]
    brute = np.sqrt(((a[:, None] - a[None]) ** 2).sum(-1)) + np.diag(np.full(len(a), np.inf))
    np.testing.assert_allclose(self_d, brute.min(1), rtol=1e-9)


def test_fid_is_zero_for_identical_sets_and_matches_closed_form_for_a_mean_shift():
    x = _gauss(2000, seed=3)
    assert distances.frechet_distance(x, x) == pytest.approx(0.0, abs=1e-6)
    # Same covariance, mean shifted by s in every one of 8 dims: FID = 8 s^2.
    assert distances.frechet_distance(x, x + 0.5) == pytest.approx(8 * 0.25, rel=1e-6)
    values = [distances.frechet_distance(_gauss(2000, seed=3), _gauss(2000, seed=4, shift=s)) for s in SHIFTS]
    assert _monotone(values)


def test_fid_matches_gaussian_closed_form_for_diagonal_covariances():
    rng = np.random.default_rng(0)
    # Population check: FID between N(0, I) and N(0, 4 I) in 4 dims is 4 * (1 + 4 - 2 * 2) = 4.
    a = rng.standard_normal((200_000, 4))
    b = rng.standard_normal((200_000, 4)) * 2
    assert distances.frechet_distance(a, b) == pytest.approx(4.0, rel=0.02)


def test_kid_is_near_zero_for_same_distribution_and_grows_with_shift():
    rng = np.random.default_rng(0)
    same, se = distances.kernel_inception_distance(_gauss(600, seed=5), _gauss(600, seed=6), rng, n_subsets=20, subset_size=300)
    assert se > 0 and abs(same) < 0.02
    values = [
        distances.kernel_inception_distance(_gauss(600, seed=5), _gauss(600, seed=6, shift=s), np.random.default_rng(1), 10, 300)[0]
        for s in SHIFTS[1:]
    ]
    assert _monotone(values) and values[0] > 10 * abs(same)


def test_kid_matches_direct_unbiased_estimator_on_one_subset():
    x, y = _gauss(50, dim=4, seed=7), _gauss(50, dim=4, seed=8, shift=0.3)
    k = lambda a, b: (a @ b.T / 4 + 1) ** 3  # noqa: E731
    m = 50
    kxx, kyy = k(x, x), k(y, y)
    expected = (kxx.sum() - np.trace(kxx) + kyy.sum() - np.trace(kyy)) / (m * (m - 1)) - 2 * k(x, y).mean()
    value, _ = distances.kernel_inception_distance(x, y, np.random.default_rng(0), n_subsets=1, subset_size=50)
    assert value == pytest.approx(expected, rel=1e-9)


def test_mmd_is_near_zero_for_same_distribution_and_matches_sklearn_kernel():
    from sklearn.metrics.pairwise import rbf_kernel

    x, y = _gauss(300, seed=9), _gauss(250, seed=10, shift=0.4)
    bw = distances.median_bandwidth(x, y, np.random.default_rng(0))
    gamma = 1 / (2 * bw**2)
    kxx, kyy, kxy = rbf_kernel(x, x, gamma=gamma), rbf_kernel(y, y, gamma=gamma), rbf_kernel(x, y, gamma=gamma)
    n, m = len(x), len(y)
    expected = (kxx.sum() - n) / (n * (n - 1)) + (kyy.sum() - m) / (m * (m - 1)) - 2 * kxy.mean()
    assert distances.mmd_rbf(x, y, bw, chunk=64) == pytest.approx(expected, rel=1e-8)
    assert abs(distances.mmd_rbf(_gauss(400, seed=11), _gauss(400, seed=12), bw)) < 0.01
    values = [distances.mmd_rbf(_gauss(400, seed=11), _gauss(400, seed=12, shift=s), bw) for s in SHIFTS[1:]]
    assert _monotone(values)


def test_prdc_matches_reference_package():
    prdc_ref = pytest.importorskip("prdc")
    real, fake = _gauss(400, seed=13), _gauss(350, seed=14, shift=0.3, scale=0.8)
    ours = distances.prdc(real, fake, k=5, chunk=97)
    theirs = prdc_ref.compute_prdc(real.astype(np.float32), fake.astype(np.float32), nearest_k=5)
    for key in ("precision", "recall", "density", "coverage"):
        assert ours[key] == pytest.approx(float(theirs[key]), abs=1e-3), key


def test_prdc_is_perfect_for_identical_sets_and_coverage_falls_with_shift():
    x = _gauss(400, seed=15)
    same = distances.prdc(x, x, k=5)
    assert same["precision"] == 1.0 and same["recall"] == 1.0 and same["coverage"] == 1.0
    coverage = [distances.prdc(x, _gauss(400, seed=16, shift=s), k=5)["coverage"] for s in SHIFTS]
    assert all(b < a for a, b in zip(coverage[1:], coverage[2:])) and coverage[-1] < 0.2


def test_c2st_is_chance_for_same_distribution_and_sees_shift_and_a_variance_change():
    same = c2st.c2st(_gauss(600, seed=17), _gauss(600, seed=18), np.random.default_rng(0))
    assert same["ci_low"] <= 0.5 <= same["ci_high"] and same["below_chance"] == 0.0
    # Two unit Gaussians whose means are |d| apart: the best accuracy is Phi(|d| / 2); trees get close.
    far = c2st.c2st(_gauss(600, seed=17), _gauss(600, seed=18, shift=1.0), np.random.default_rng(0))
    assert norm.cdf(np.sqrt(8) / 2) - 0.08 < far["accuracy"] <= norm.cdf(np.sqrt(8) / 2) + 0.03
    # A 2x standard deviation with the same mean: invisible to a linear model, not to this one.
    wide = c2st.c2st(_gauss(600, seed=17), _gauss(600, seed=18, scale=2.0), np.random.default_rng(0))
    assert wide["ci_low"] > 0.6


def test_c2st_flags_below_chance_accuracy_of_near_copies_instead_of_calling_it_distinguishable():
    real = _gauss(400, seed=19)
    # Every synthetic point is a near-copy of a real one: cross-validation puts a copy and its
    # original on opposite sides of the split, so the classifier is systematically wrong.
    res = c2st.c2st(real, real + 1e-6, np.random.default_rng(0))
    assert res["accuracy"] < 0.5 and res["below_chance"] == 1.0


def test_wilson_interval_known_value():
    # 50 / 100: Wilson 95 % interval is [0.4038, 0.5962].
    low, high = c2st.wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)


def test_label_fidelity_counts_correct_predictions():
    res = c2st.label_fidelity(np.array([0, 0, 1, 1]), np.array([0, 1, 1, 1]))
    assert res["accuracy"] == 0.75
    assert res["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def _ecg_like(n, seed, shift=0.0, noise=0.0, length=1000, fs=100):
    """Leads I and II from sine 'beats', the rest derived as real limb leads are: Einthoven holds."""
    rng = np.random.default_rng(seed)
    t = np.arange(length) / fs
    x = np.zeros((n, 12, length), dtype=np.float32)
    for i in range(n):
        hr = rng.uniform(1.0, 1.5)
        lead_i = 0.5 * np.sin(2 * np.pi * hr * t) ** 15 + shift
        lead_ii = np.sin(2 * np.pi * hr * t + 0.1) ** 15 + shift
        x[i, 0], x[i, 1] = lead_i, lead_ii
        x[i, 2] = lead_ii - lead_i
        x[i, 3], x[i, 4], x[i, 5] = -(lead_i + lead_ii) / 2, lead_i - lead_ii / 2, lead_ii - lead_i / 2
        x[i, 6:] = lead_ii * rng.uniform(0.5, 1.5, (6, 1))
    return x + noise * rng.standard_normal(x.shape).astype(np.float32)


def test_signal_distances_are_zero_for_identical_sets_and_grow_with_noise():
    x = _ecg_like(40, seed=0)
    freqs, db = signal.mean_log_psd(x, 100)
    assert signal.psd_distance(db, db, freqs).max() == 0.0
    assert signal.correlation_difference(signal.mean_lead_correlation(x), signal.mean_lead_correlation(x)) == 0.0
    noises = (0.0, 0.05, 0.2, 0.5)
    psd = [signal.psd_distance(db, signal.mean_log_psd(_ecg_like(40, seed=0, noise=s), 100)[1], freqs).mean() for s in noises]
    corr = [signal.correlation_difference(signal.mean_lead_correlation(x), signal.mean_lead_correlation(_ecg_like(40, 0, noise=s))) for s in noises]
    assert _monotone(psd) and _monotone(corr)


def test_limb_residuals_vanish_for_derived_leads_and_not_for_independent_noise():
    x = _ecg_like(10, seed=2)
    res = signal.limb_residuals(x)
    assert res["einthoven_mv"] < 1e-6 and res["goldberger_mv"] < 1e-6
    noisy = signal.limb_residuals(_ecg_like(10, seed=2, noise=0.1))
    assert noisy["einthoven_rel"] > 0.05


def _beat_train(hr, fs=100, seconds=10):
    """A regular P-QRS-T train of Gaussian waves at ``hr`` bpm, in mV."""
    t = np.arange(int(fs * seconds)) / fs
    x = np.zeros_like(t)
    wave = lambda c, w, a: a * np.exp(-0.5 * ((t - c) / w) ** 2)  # noqa: E731
    for r in np.arange(0.3, seconds, 60 / hr):
        x += wave(r - 0.16, 0.025, 0.15) + wave(r - 0.02, 0.008, -0.1) + wave(r, 0.012, 1.2)
        x += wave(r + 0.025, 0.01, -0.25) + wave(r + 0.3, 0.05, 0.3)
    return x


def test_physiology_recovers_heart_rate_and_flags_flat_traces():
    x = np.zeros((3, 12, 1000), dtype=np.float32)
    x[0, 1], x[1, 1] = _beat_train(60), _beat_train(90)
    res = physiology.measure_set(x, np.array([0, 1, 2]), 100, np.random.default_rng(0), max_per_class=5)
    assert res["hr_bpm"][0] == pytest.approx(60, abs=1) and res["hr_bpm"][1] == pytest.approx(90, abs=1)
    assert res["rr_cv"][0] == pytest.approx(0, abs=0.02)
    assert list(res["failed"]) == [False, False, True]
    cmp = physiology.compare_measures(res, res)
    assert cmp["hr_bpm_w1"] == 0.0 and cmp["fail_fraction"] == pytest.approx(1 / 3)
    slower = {**res, "hr_bpm": res["hr_bpm"] - 10}
    assert physiology.compare_measures(res, slower)["hr_bpm_w1"] == pytest.approx(10)


def test_fid_matches_matrix_square_root_formula_of_pytorch_fid():
    from scipy import linalg

    rng = np.random.default_rng(3)
    a = rng.standard_normal((500, 6)) @ rng.standard_normal((6, 6))
    b = rng.standard_normal((400, 6)) @ rng.standard_normal((6, 6)) + 0.3
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    d = a.mean(0) - b.mean(0)
    expected = d @ d + np.trace(s1) + np.trace(s2) - 2 * np.trace(linalg.sqrtm(s1 @ s2).real)
    assert distances.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)


def _records(n, seed, length=1000):
    rng = np.random.default_rng(seed)
    t = np.arange(length) / 100
    hr = rng.uniform(0.8, 1.8, (n, 1, 1))
    phase = rng.uniform(0, 2 * np.pi, (n, 12, 1))
    x = np.sin(2 * np.pi * hr * t + phase) ** 15 * rng.uniform(0.5, 1.5, (n, 12, 1))
    return (x + 0.05 * rng.standard_normal(x.shape)).astype(np.float32)


def test_lagged_similarity_is_one_for_copies_and_tolerates_shifts_within_the_lag():
    x = memorisation.standardise(_records(3, seed=0))
    shifted = np.roll(x, 30, axis=-1)
    sim = memorisation.lagged_similarity(x, np.stack([x, shifted, np.roll(x, 1, axis=0)], axis=1), max_lag=50)
    np.testing.assert_allclose(sim[:, 0], 1.0, atol=1e-5)
    assert (sim[:, 1] > 0.96).all() and (sim[:, 2] < 0.9).all()  # 970 of 1000 samples overlap
    assert (memorisation.lagged_similarity(x, shifted[:, None], max_lag=10)[:, 0] < 0.9).all()


def test_memorisation_finds_shifted_rescaled_copies_and_reports_flat_and_nan_records_as_degenerate():
    cfg = memorisation.MemorisationConfig()
    train, heldout = _records(200, seed=1), _records(60, seed=2)
    index = memorisation.RecordIndex(train, 100, cfg)
    copies = 3.0 * np.roll(train[:30], 25, axis=-1) + 0.1  # gain, offset and a 0.25 s shift
    fresh = _records(30, seed=3)
    bad = np.full((3, 12, 1000), 0.01, dtype=np.float32)
    bad[2, 0, 5] = np.nan
    y = np.zeros(63, dtype=np.int64)
    query = np.concatenate([copies, fresh, bad])
    over, per = memorisation.memorisation_summary(index, query, y, heldout, np.zeros(200, dtype=np.int64), ("SR",),
                                                  np.random.default_rng(0), 5)
    assert over["near_copies"] == 30 and over["degenerate"] == 3
    assert over["degenerate_flat"] == 2 and over["degenerate_nan"] == 1
    assert per["SR"]["rare_class"] == 0 and per["SR"]["degenerate"] == 3


def test_membership_attack_auc_is_near_half_without_leakage_and_high_when_the_bank_copies_training_records():
    cfg = memorisation.MemorisationConfig(bootstrap=100)
    train, heldout = _records(80, seed=4), _records(80, seed=5)
    y = np.zeros(80, dtype=np.int64)
    args = (train, y, heldout, y, ("SR",), np.random.default_rng(0), 5)
    clean, _ = memorisation.membership_audit(memorisation.RecordIndex(_records(80, seed=6), 100, cfg), *args)
    leaky, per = memorisation.membership_audit(memorisation.RecordIndex(train[:40] + 0.005, 100, cfg), *args)
    assert clean["mia_auc_ci_low"] < 0.5 < clean["mia_auc_ci_high"]
    assert leaky["mia_auc"] > 0.7 and leaky["mia_auc_ci_low"] > 0.5 and "SR" in per

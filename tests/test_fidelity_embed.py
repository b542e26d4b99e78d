"""The per-set caches: random-convolution features, bank unions, the table, the ECG paper geometry."""

import numpy as np
import pandas as pd
import pytest

from fidelity_fixtures import labels, simulate
from synecg.fidelity.embed import concat_sets, random_conv, random_conv_from_state
from synecg.fidelity.features import RandomConvConfig, RandomConvFeatures
from synecg.fidelity.table import display, fidelity_rows
from synecg.io import write_json
from synecg.plots.ecg_paper import paper_size_mm

SECTION = {"n_kernels": 4, "kernel_size": 9, "dilations": [1, 4], "bias_quantiles": [0.25, 0.75], "fit_records": 8, "batch": 5}


def test_random_conv_features_are_seeded_and_survive_the_cache():
    x = simulate(labels(2), 400, np.random.default_rng(0))
    a = random_conv(SECTION, 1, x, "ptbxl")
    b = random_conv(SECTION, 1, x, "ptbxl")
    c = random_conv(SECTION, 2, x, "ptbxl")
    fa = a.transform(x)
    assert fa.shape == (14, 4 * 2 * 3) and a.n_features == fa.shape[1]
    np.testing.assert_array_equal(fa, b.transform(x))
    assert not np.allclose(fa, c.transform(x))
    state = {"randconv_weight": a.weight.numpy(), "randconv_biases": a.biases.numpy()}
    np.testing.assert_array_equal(random_conv_from_state(SECTION, state).transform(x), fa)


def test_random_conv_ppv_separates_heart_rates_but_ignores_baseline_offset():
    slow = simulate(np.zeros(10, dtype=np.int64), 1000, np.random.default_rng(1))  # SBRAD, 50 bpm
    fast = simulate(np.full(10, 6, dtype=np.int64), 1000, np.random.default_rng(2))  # SVTAC, 165 bpm
    rc = RandomConvFeatures(RandomConvConfig(n_kernels=8, dilations=(1, 2, 4), fit_records=10), seed=0).fit(slow, np.random.default_rng(0))
    f_slow, f_fast = rc.transform(slow), rc.transform(fast)
    assert np.abs(f_slow.mean(0) - f_fast.mean(0)).max() > 0.05
    # Zero-mean kernels: a constant offset on every lead leaves the response unchanged (up to the padded edges).
    shifted = rc.transform(slow + 0.5)
    assert np.abs(shifted - f_slow).mean() < 0.02


def test_union_of_banks_concatenates_caches_and_reoffsets_physiology_rows():
    a = {"label": np.array([0, 1]), "randconv": np.ones((2, 3)), "physio_row": np.array([1])}
    b = {"label": np.array([2, 3, 4]), "randconv": np.zeros((3, 3)), "physio_row": np.array([0, 2])}
    u = concat_sets([a, b])
    assert list(u["label"]) == [0, 1, 2, 3, 4] and u["randconv"].shape == (5, 3)
    assert list(u["physio_row"]) == [1, 2, 4]


def test_fidelity_table_has_one_row_per_class_and_formats_missing_values(tmp_path):
    write_json(tmp_path / "m.json", {
        "dataset": "ptbxl", "generator": "sssd", "n": {"synthetic": 9, "synthetic_per_class": {"SR": 5}},
        "overall": {"classifier_fid": 1.23456, "near_copies": 2}, "per_class": {"SR": {"classifier_fid": 0.5}},
    })
    rows = fidelity_rows([tmp_path / "m.json"])
    assert list(rows["class"]) == ["all", "SR"] and list(rows["n_synthetic"]) == [9, 5]
    shown = display(rows)
    assert shown.loc[0, "FID (clf)"] == "1.23" and shown.loc[0, "Near copies"] == "2"
    assert shown.loc[0, "Attack AUC"] == "–"
    assert isinstance(shown, pd.DataFrame) and len(shown) == 1


def test_normalised_columns_place_each_row_between_its_datasets_floor_and_ceiling(tmp_path):
    for name, fid in (("real floor", 1.0), ("noise ceiling", 11.0), ("sssd", 3.5)):
        write_json(tmp_path / f"{name}.json", {
            "dataset": "ptbxl", "generator": name, "n": {"synthetic": 9, "synthetic_per_class": {}},
            "overall": {"randconv_fid": fid, "randconv_prdc_withheld": "withheld: reason"}, "per_class": {},
        })
    rows = fidelity_rows(sorted(tmp_path.glob("*.json"))).set_index("generator")
    assert rows.loc["sssd", "randconv_fid_norm"] == 0.25
    assert rows.loc["real floor", "randconv_fid_norm"] == 0.0 and rows.loc["noise ceiling", "randconv_fid_norm"] == 1.0


def test_ecg_paper_is_25_mm_per_second_and_10_mm_per_millivolt():
    width, height = paper_size_mm(10.0)
    assert width == pytest.approx(250.0)  # 10 s at 25 mm/s
    assert height == pytest.approx(4 * 30.0)  # three lead rows and a rhythm strip, 3 mV (30 mm) each

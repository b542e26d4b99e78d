"""Experiment runs: fraction sampler, run assembly without leakage, jobs writing one metrics.json
per fraction and seed with the whole test set scored."""

import numpy as np
import pytest

from experiment_fixtures import DEFAULT_SPLITS, labels, write_dataset, write_fixture_bank
from synecg.errors import ContractError
from synecg.experiments.runs import (
    JobSpec,
    RunData,
    Split,
    assemble_run,
    check_no_leakage,
    load_job_synthetic,
    load_real,
    load_predictions,
    load_synthetic,
    read_manifest,
    run_training_job,
    run_transfer_job,
)
from synecg.experiments.sampling import class_balanced_draw, oversample_to_balance, stratified_fraction
from synecg.experiments.settings import BALANCED, EQUAL_POOL, SETTINGS, manifest_path, metrics_path, parse_setting
from synecg.io import read_json

TINY_MODEL = {"preset": "t", "blocks": 2, "kernels": 4, "kernel_size": 5, "dilation": 5, "fc_layers": 1,
              "fc_units": 16, "dropout": 0.25, "shared_conv": True, "lr": 3e-3}
TINY_TRAINING = {"lr": 3e-3, "batch_size": 32, "max_epochs": 2, "patience": 1, "min_delta": 1e-5,
                 "weight_decay": 0.01, "class_weights": False, "eval_batch_size": 64, "bf16": True}


def test_fraction_sampler_is_seeded_stratified_and_keeps_every_class():
    y = labels({"SR": 200, "AFIB": 30, "AFLT": 3, "SVTAC": 1})
    a = stratified_fraction(y, 0.2, np.random.default_rng(5))
    b = stratified_fraction(y, 0.2, np.random.default_rng(5))
    c = stratified_fraction(y, 0.2, np.random.default_rng(6))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    counts = np.bincount(y[a], minlength=7)
    assert counts[1] == 40 and counts[2] == 6 and counts[4] == 1 and counts[6] == 1
    assert set(np.unique(y[a])) == set(np.unique(y))
    assert len(np.unique(a)) == len(a)  # without replacement


def test_fraction_subsets_are_nested_for_one_seed_and_whole_at_one():
    y = labels({"SR": 50, "AFIB": 20, "STACH": 10})
    small = set(stratified_fraction(y, 0.2, np.random.default_rng(1)))
    large = set(stratified_fraction(y, 0.6, np.random.default_rng(1)))
    assert small < large
    assert np.array_equal(stratified_fraction(y, 1.0, np.random.default_rng(9)), np.arange(len(y)))
    with pytest.raises(ValueError):
        stratified_fraction(y, 0.0, np.random.default_rng(1))


def test_class_balanced_draw_spreads_rows_evenly_and_refuses_too_many():
    y = labels({"SR": 10, "AFIB": 10, "AFLT": 10})
    rows = class_balanced_draw(y, 7, np.random.default_rng(0))
    assert len(rows) == len(set(rows)) == 7
    assert sorted(np.bincount(y[rows], minlength=7)[[1, 2, 4]]) == [2, 2, 3]
    assert np.array_equal(rows, class_balanced_draw(y, 7, np.random.default_rng(0)))
    with pytest.raises(ValueError, match="needs 11 of class"):
        class_balanced_draw(y, 33, np.random.default_rng(0))


def test_oversampling_keeps_every_row_and_balances_the_present_classes():
    y = labels({"SR": 12, "AFIB": 3, "SVTAC": 1})
    rows = oversample_to_balance(y, np.random.default_rng(0))
    counts = np.bincount(y[rows], minlength=7)
    assert counts[[1, 2, 6]].tolist() == [12, 12, 12] and counts.sum() == 36
    assert set(rows) == set(range(len(y)))  # nothing dropped; absent classes stay absent
    assert counts[[0, 3, 4, 5]].sum() == 0


def _source(prefix, n=30):
    y = np.arange(n) % 7
    x = np.zeros((n, 12, 8), np.float32)
    return {s: Split(x, y, np.asarray([f"{prefix}{s}-{i}" for i in range(n)], dtype=object)) for s in ("train", "val", "test")}


class _Src(dict):
    pass


@pytest.mark.parametrize("setting", [*SETTINGS, BALANCED, "TrRSTeR-r0.5", "transfer-head", "transfer-all"])
def test_no_test_row_is_trained_or_validated_on_and_real_tested_arms_validate_on_real_only(setting):
    real, synthetic = _Src(_source("real:")), _Src(_source("synthetic:g:"))
    synthetic.n_members = 1
    data = assemble_run(setting, real, synthetic, 0.5, real_rng=np.random.default_rng(0),
                        synthetic_rng=np.random.default_rng(1), arm_rng=np.random.default_rng(2))
    check_no_leakage(data)
    train_ids, test_ids = set(data.train_ids) | set(data.val_ids), set(next(iter(data.tests.values())).ids)
    assert not train_ids & test_ids
    family = parse_setting(setting)["family"]
    if family in ("TrRTeR", "TrSTeR", "TrRSTeR", "transfer"):
        assert all(i.startswith("real:") for i in test_ids)  # synthetic never in a real test
    if family == "TrRSTeR":
        assert any(i.startswith("synthetic:") for i in data.train_ids)
    if family in ("TrRTeR", "TrRSTeR", "transfer"):  # early stopping on real validation records only
        assert all(i.startswith("real:") for i in data.val_ids)


def test_leakage_check_names_the_leaked_rows():
    part = Split(np.zeros((2, 12, 4), np.float32), np.array([0, 1]), np.asarray(["real:a", "real:b"], dtype=object))
    test = Split(np.zeros((1, 12, 4), np.float32), np.array([1]), np.asarray(["real:b"], dtype=object))
    with pytest.raises(ContractError, match="real:b"):
        check_no_leakage(RunData(train=[part], val=[part], tests={"real": test}), "run")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("study")
    write_dataset(root / "data" / "ptbxl", "ptbxl", DEFAULT_SPLITS, 200, 0)
    write_fixture_bank(root / "bank" / "a", {c: 6 for c in ("SBRAD", "SR", "AFIB", "STACH", "AFLT", "SARRH", "SVTAC")}, 200, 1, "a")
    write_fixture_bank(root / "bank" / "b", {c: 4 for c in ("SBRAD", "SR", "AFIB")}, 200, 2, "b")
    return root


def _spec(generator, seeds=(0, 1), fractions=(0.5, 1.0)):
    return JobSpec("ptbxl", generator, list(fractions), list(seeds), TINY_MODEL, TINY_TRAINING, 17)


def test_generator_all_splits_the_union_of_banks(study):
    both = load_synthetic([study / "bank" / "a", study / "bank" / "b"], ["a", "b"], np.random.default_rng(0))
    assert sum(len(both[s]) for s in ("train", "val", "test")) == 42 + 12
    ids = np.concatenate([both[s].ids for s in ("train", "val", "test")])
    assert len(set(ids)) == 54 and any(i.startswith("synthetic:b:") for i in ids)
    assert not set(both["train"].ids) & set(both["test"].ids)


def test_jobs_write_one_metrics_file_per_run_scoring_the_whole_test_set(study, monkeypatch):
    monkeypatch.chdir(study)
    real = load_real(study / "data" / "ptbxl", "ptbxl")
    spec = _spec("a")
    synthetic = load_job_synthetic(spec, [study / "bank" / "a"], ["a"], (0.8, 0.1, 0.1))
    checkpoints = run_training_job(spec, ["TrSTeR", "TrSTeS"], real, synthetic)
    assert sorted(checkpoints) == ["0.50/0", "0.50/1", "1.00/0", "1.00/1"]
    for f in (0.5, 1.0):
        for s in (0, 1):
            tstr = read_json(metrics_path("ptbxl", "TrSTeR", "a", f, s))
            tsts = read_json(metrics_path("ptbxl", "TrSTeS", "a", f, s))
            assert tstr["n_test"] == len(real["test"]) == 21
            assert tsts["n_test"] == len(synthetic["test"])
            assert tstr["n_train_real"] == 0 and tstr["n_train"] == tsts["n_train"]
            assert (tstr["dataset"], tstr["setting"], tstr["generator"], tstr["fraction"], tstr["seed"]) == ("ptbxl", "TrSTeR", "a", f, s)
    aug_spec = _spec("a", seeds=(0,), fractions=(0.5,))
    run_training_job(aug_spec, ["TrRSTeR-r0.25"], real, synthetic)
    aug = read_json(metrics_path("ptbxl", "TrRSTeR-r0.25", "a", 0.5, 0))
    base_real = 6 + 15 + 6 + 5 + 3 + 4 + 2  # stratified half of DEFAULT_SPLITS train (round half to even)
    assert aug["n_train_real"] == base_real and aug["n_train_synthetic"] == round(0.25 * base_real)
    assert aug["n_test"] == 21 and aug["n_val"] == len(real["val"])
    assert (aug["family"], aug["arm"], aug["ratio"], aug["setting"]) == ("TrRSTeR", "r0.25", 0.25, "TrRSTeR-r0.25")
    y, proba, ids = load_predictions(metrics_path("ptbxl", "TrRSTeR-r0.25", "a", 0.5, 0))
    assert proba.shape == (21, 7) and np.array_equal(y, real["test"].y) and list(ids) == list(real["test"].ids)
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-2)
    assert read_manifest(manifest_path("ptbxl", "TrRSTeR-r0.25", "a")) == [metrics_path("ptbxl", "TrRSTeR-r0.25", "a", 0.5, 0)]


def test_transfer_job_fine_tunes_from_the_pretrained_model(study, monkeypatch):
    monkeypatch.chdir(study)
    real = load_real(study / "data" / "ptbxl", "ptbxl")
    spec = _spec("a", seeds=(0,), fractions=(0.5,))
    synthetic = load_job_synthetic(spec, [study / "bank" / "a"], ["a"], (0.8, 0.1, 0.1))
    pretrained = run_transfer_job(spec, real, synthetic, pretrain_runs=2, trainables=["head", "all"])
    for trainable in ("head", "all"):
        record = read_json(metrics_path("ptbxl", f"transfer-{trainable}", "a", 0.5, 0))
        assert record["trainable"] == trainable and record["n_train_synthetic"] == 0 and record["n_test"] == 21
        assert record["pretrained_val_loss"] == pytest.approx(pretrained["best_val_loss"])


def test_union_of_banks_matches_concat_banks_row_for_row(study):
    from synecg.generators.bank import concat_banks, load_bank, split_bank

    dirs = [study / "bank" / "a", study / "bank" / "b"]
    union = load_synthetic(dirs, ["a", "b"], np.random.default_rng(4))
    reference = concat_banks([load_bank(d) for d in dirs], ["a", "b"])
    rows = split_bank(reference.y, np.random.default_rng(4))
    for split in ("train", "val", "test"):
        assert np.array_equal(union[split].x, reference.x[rows[split]])
        assert np.array_equal(union[split].y, reference.y[rows[split]])


def test_banks_of_different_lengths_are_refused(tmp_path):
    write_fixture_bank(tmp_path / "a", {"SR": 3}, 200, 1, "a")
    write_fixture_bank(tmp_path / "b", {"SR": 3}, 100, 2, "b")
    with pytest.raises(ContractError, match="different signal lengths"):
        load_synthetic([tmp_path / "a", tmp_path / "b"], ["a", "b"], np.random.default_rng(0))


def test_prepared_dataset_runs_never_train_on_test_record_ids(study):
    real = load_real(study / "data" / "ptbxl", "ptbxl")
    synthetic = load_synthetic([study / "bank" / "a"], ["a"], np.random.default_rng(0))
    test_ids = set(real["test"].ids)
    assert len(test_ids) == 21
    for setting in ("TrRTeR", BALANCED, "TrRSTeR", "TrRSTeR-r0.25", "transfer-all"):
        for fraction in (0.2, 1.0):
            data = assemble_run(setting, real, synthetic, fraction, real_rng=np.random.default_rng(1),
                                synthetic_rng=np.random.default_rng(2), arm_rng=np.random.default_rng(3))
            assert not test_ids & (set(data.train_ids) | set(data.val_ids))
            assert set(data.tests["real"].ids) == test_ids  # the whole real test split, nothing synthetic


def test_settings_at_one_fraction_and_seed_share_the_real_subset_and_initial_weights():
    spec_real, spec_aug = _spec("real"), _spec("sssd")
    from synecg.experiments.runs import real_fraction_rng, train_seed

    real, synthetic = _Src(_source("real:")), _Src(_source("synthetic:g:"))
    base = assemble_run("TrRTeR", real, None, 0.4, real_rng=real_fraction_rng(spec_real, 3))
    aug = assemble_run("TrRSTeR-r0.5", real, synthetic, 0.4, real_rng=real_fraction_rng(spec_aug, 3),
                       arm_rng=np.random.default_rng(0))
    balanced = assemble_run(BALANCED, real, None, 0.4, real_rng=real_fraction_rng(spec_real, 3), arm_rng=np.random.default_rng(0))
    assert list(base.train[0].ids) == list(aug.train[0].ids)
    assert set(balanced.train[0].ids) == set(base.train[0].ids)  # the same subset, oversampled
    assert train_seed(spec_real, 0.4, 3) == train_seed(spec_aug, 0.4, 3) != train_seed(spec_aug, 0.4, 4)


def test_bank_too_small_for_a_validation_split_is_refused_by_name(tmp_path):
    write_fixture_bank(tmp_path / "small", {"SR": 2, "AFIB": 2}, 50, 1, "small")
    with pytest.raises(ContractError, match="val split empty.*at least 3"):
        load_synthetic([tmp_path / "small"], ["small"], np.random.default_rng(0))


def test_equal_size_pool_draws_the_union_down_to_one_banks_share(study):
    both = load_synthetic([study / "bank" / "a", study / "bank" / "b"], ["a", "b"], np.random.default_rng(0))
    real = load_real(study / "data" / "ptbxl", "ptbxl")
    data = assemble_run(EQUAL_POOL, real, both, 1.0, real_rng=np.random.default_rng(1), arm_rng=np.random.default_rng(2))
    full = assemble_run("TrRSTeR", real, both, 1.0, real_rng=np.random.default_rng(1), arm_rng=np.random.default_rng(2))
    assert len(data.train[1]) == len(both["train"]) // 2 and len(full.train[1]) == len(both["train"])

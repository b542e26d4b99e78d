"""Negative controls of the augmentation analysis, run through the bank contract, the grid's run
functions and the aggregation (the workflow's code path without its process start-ups):

(a) a "synthetic" bank that is real training records with shuffled labels brings no significant
    gain after multiplicity correction;
(b) a bank of class-balanced copies of real training records has the effect of the balanced
    real-only control, within the interval of their paired difference.
"""

import numpy as np
import pytest

from experiment_fixtures import DEFAULT_SPLITS, write_dataset
from synecg.experiments.aggregate import adjust_family, collect_runs, compare
from synecg.experiments.runs import JobSpec, load_job_synthetic, load_real, run_training_job
from synecg.experiments.settings import BALANCED, EXPERIMENTS_DIR
from synecg.generators.bank import write_bank

MODEL = {"preset": "t", "blocks": 2, "kernels": 4, "kernel_size": 5, "dilation": 5, "fc_layers": 1,
         "fc_units": 16, "dropout": 0.25, "shared_conv": True, "lr": 3e-3}
TRAINING = {"lr": 3e-3, "batch_size": 32, "max_epochs": 4, "patience": 2, "min_delta": 1e-5,
            "weight_decay": 0.01, "class_weights": False, "eval_batch_size": 64, "bf16": True}
SEEDS = list(range(5))


def _control_banks(real, root, rng):
    """Two banks made of real training records, written through synecg.generators.bank."""
    x, y = np.asarray(real["train"].x), real["train"].y
    write_bank(root / "shuffled", x, rng.permutation(y), {"generator": "shuffled", "control": "labels permuted"})
    rows = np.concatenate([rng.choice(np.flatnonzero(y == c), size=10, replace=True) for c in np.unique(y)])
    write_bank(root / "copies", x[rows], y[rows], {"generator": "copies", "control": "class-balanced copies"})


@pytest.fixture(scope="module")
def controls(tmp_path_factory):
    import os

    import torch

    root = tmp_path_factory.mktemp("controls")
    cwd, threads = os.getcwd(), torch.get_num_threads()
    os.chdir(root)
    torch.set_num_threads(1)
    try:
        write_dataset(root / "data" / "ptbxl", "ptbxl", DEFAULT_SPLITS, 200, 3)
        real = load_real(root / "data" / "ptbxl", "ptbxl")
        _control_banks(real, root / "banks", np.random.default_rng(11))
        base = JobSpec("ptbxl", "real", [0.5], SEEDS, MODEL, TRAINING, 5)
        run_training_job(base, ["TrRTeR"], real, None)
        run_training_job(base, [BALANCED], real, None)
        for bank in ("shuffled", "copies"):
            spec = JobSpec("ptbxl", bank, [0.5], SEEDS, MODEL, TRAINING, 5)
            synthetic = load_job_synthetic(spec, [root / "banks" / bank], [bank], (0.8, 0.1, 0.1))
            run_training_job(spec, ["TrRSTeR"], real, synthetic)
        runs = collect_runs(sorted((root / EXPERIMENTS_DIR).rglob("metrics.json")))
    finally:
        os.chdir(cwd)
        torch.set_num_threads(threads)
    # relative paths in the runs table: resolve them against the study folder
    runs["path"] = [str(root / p) for p in runs["path"]]
    cmp = compare(runs, master_seed=5, metrics=["macro_f1"], resamples=500)
    return adjust_family(cmp[cmp["setting"] == "TrRSTeR"], "holm")


def test_shuffled_label_bank_gives_no_significant_gain_after_correction(controls):
    shuffled = controls[controls["generator"] == "shuffled"]
    assert set(shuffled["reference"]) == {"TrRTeR", BALANCED} and (shuffled["n_seeds"] == len(SEEDS)).all()
    significant_gain = (shuffled["difference"] > 0) & (shuffled["p_bootstrap_adj"] < 0.05)
    assert not significant_gain.any(), shuffled[["reference", "difference", "ci_low", "ci_high", "p_bootstrap_adj"]]


def test_class_balanced_copies_of_real_records_match_the_balanced_control_within_the_interval(controls):
    copies = controls[(controls["generator"] == "copies") & (controls["reference"] == BALANCED)].iloc[0]
    assert copies["ci_low"] <= 0.0 <= copies["ci_high"], copies[["difference", "ci_low", "ci_high"]].to_dict()
    assert copies["ci_high"] - copies["ci_low"] < 1.0  # an interval that says something


# --- the control banks' draws (synecg.experiments.controls) ---------------------------------------

Y_TRAIN = np.array([0] * 12 + [1] * 30 + [2] * 3 + [4] * 5)  # classes 3, 5, 6 absent


def test_copies_bank_rows_carry_their_own_labels_and_cover_each_class_evenly():
    from synecg.experiments.controls import control_rows
    from synecg.generators.bank import class_draws

    labels = class_draws(20, 7, "balanced", np.random.default_rng(0), Y_TRAIN)
    rows = control_rows("copies", Y_TRAIN, labels, np.random.default_rng(1))
    assert np.array_equal(Y_TRAIN[rows], labels) and np.bincount(labels).tolist() == [20, 20, 20, 0, 20]
    uses = np.bincount(rows, minlength=len(Y_TRAIN))
    for c in (0, 1, 2, 4):  # each record of a class used floor or ceil(20 / its count) times
        n = int((Y_TRAIN == c).sum())
        assert set(uses[Y_TRAIN == c]) <= {20 // n, -(-20 // n)}
    with pytest.raises(ValueError, match="class 3"):
        control_rows("copies", Y_TRAIN, np.array([3, 3]), np.random.default_rng(1))


def test_shuffled_bank_rows_ignore_the_labels():
    from synecg.experiments.controls import control_rows
    from synecg.generators.bank import class_draws

    labels = class_draws(100, 7, "balanced", np.random.default_rng(0), Y_TRAIN)
    rows = control_rows("shuffled", Y_TRAIN, labels, np.random.default_rng(1))
    uses = np.bincount(rows, minlength=len(Y_TRAIN))
    assert uses.max() - uses.min() <= 1  # every training record used evenly, whatever its class
    # each bank class draws records in the split's class proportions, not its own class
    for c in np.unique(labels):
        share = np.bincount(Y_TRAIN[rows[labels == c]], minlength=5) / (labels == c).sum()
        assert abs(share[1] - 30 / 50) < 0.15
    assert np.mean(Y_TRAIN[rows] == labels) < 0.4

"""Negative controls at workflow level: the control banks (experiments.control_banks) built by the
workflow from the real training split, run through the TrRSTeR arms and read off the study's
tables (comparisons.csv, answer.csv), on fixture data whose classes are learnable:

(a) control-shuffled (real training records, labels unrelated to the signals) gives no significant
    augmentation gain after multiplicity correction;
(b) control-copies (class-balanced copies of real training records) has the effect of the
    balanced real-only control within its interval, while control-shuffled, which is not balanced
    copies, lies outside it (so the interval can tell them apart).
"""

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import REPO_ROOT, run_snakemake
from experiment_fixtures import DEFAULT_SPLITS, write_dataset
from synecg.generators.bank import load_bank
from synecg.io import read_json

OVERLAY = REPO_ROOT / "tests" / "configs" / "controls.yaml"
RULES = ["build_control_bank", "train_real_classifier", "train_balanced_classifier", "train_augmented_classifier",
         "aggregate_experiments"]
# a larger test split than the default fixture, so that paired intervals resolve a few points of F1
SPLITS = {**DEFAULT_SPLITS, "test": {"SBRAD": 12, "SR": 20, "AFIB": 12, "STACH": 12, "AFLT": 10, "SARRH": 10, "SVTAC": 8}}


@pytest.fixture(scope="module")
def control_study(tmp_path_factory):
    """The control arms of the ptbxl fixture dataset run by Snakemake: 7 jobs, ~45 s of CPU (20 seeds;
    with 10 seeds and 42 test records the intervals were too wide to reject an informative bank)."""
    workdir = tmp_path_factory.mktemp("control_banks")
    write_dataset(workdir / "results" / "data" / "ptbxl", "ptbxl", SPLITS, 200, 3)
    base = yaml.safe_load((REPO_ROOT / "config" / "config.yaml").read_text())
    base["datasets"] = {"ptbxl": base["datasets"]["ptbxl"]}  # one dataset: no chapman, no merged
    (workdir / "base.yaml").write_text(yaml.safe_dump(base))
    run_snakemake(workdir, "--allowed-rules", *RULES, "--printshellcmds", "aggregate_experiments",
                  configfiles=(OVERLAY,), base_config=workdir / "base.yaml")
    return workdir


def test_control_banks_are_real_training_records_of_a_generator_banks_size(control_study):
    data = control_study / "results" / "data" / "ptbxl"
    train_ids = pd.read_csv(data / "records.csv").query("split == 'train' and status == 'kept'")
    label_of = dict(zip(train_ids["record_id"], train_ids["label"]))
    per_class = yaml.safe_load(OVERLAY.read_text())["bank"]["per_class"]
    for kind in ("shuffled", "copies"):
        folder = control_study / "results" / "controls" / "ptbxl" / kind
        bank, meta = load_bank(folder), read_json(folder / "bank.json")
        assert meta["generator"] == f"control-{kind}" and np.bincount(bank.y, minlength=7).tolist() == [per_class] * 7
        assert set(meta["source_record_ids"]) <= set(label_of)  # training records only
        own_label = np.mean([label_of[r] == lab for r, lab in zip(meta["source_record_ids"], pd.read_csv(folder / "labels.csv")["label"])])
        assert own_label == (1.0 if kind == "copies" else pytest.approx(meta["labels_match_records"]))
    assert read_json(control_study / "results/controls/ptbxl/shuffled/bank.json")["labels_match_records"] < 0.4


def test_shuffled_label_bank_gives_no_significant_gain_after_correction(control_study):
    cmp = pd.read_csv(control_study / "results" / "tables" / "comparisons.csv")
    shuffled = cmp[cmp["generator"] == "control-shuffled"]
    assert set(shuffled["setting"]) == {"TrRSTeR"} and set(shuffled["reference"]) == {"TrRTeR", "TrRTeR-balanced"}
    seeds = yaml.safe_load(OVERLAY.read_text())["experiments"]["seeds"]
    assert shuffled["control"].all() and (shuffled["n_seeds"] == len(seeds)).all()
    significant_gain = (shuffled["difference"] > 0) & (shuffled["p_bootstrap_adj"] < 0.05)
    assert not significant_gain.any(), shuffled[["setting", "reference", "difference", "ci_low", "ci_high", "p_bootstrap_adj"]]


def test_class_balanced_copies_match_the_balanced_control_within_the_interval(control_study):
    answer = pd.read_csv(control_study / "results" / "tables" / "answer.csv")
    vs_balanced = answer[answer["reference"] == "TrRTeR-balanced"].set_index("generator")
    assert not answer["primary"].any()  # controls are never the primary endpoint
    copies, shuffled = vs_balanced.loc["control-copies"], vs_balanced.loc["control-shuffled"]
    assert copies["ci_low"] <= 0.0 <= copies["ci_high"], copies[["difference", "ci_low", "ci_high"]].to_dict()
    # the interval is narrow enough to reject a bank that is not balanced copies
    assert shuffled["ci_high"] < 0.0, shuffled[["difference", "ci_low", "ci_high"]].to_dict()
    assert "control" in (control_study / "results" / "tables" / "answer.md").read_text()

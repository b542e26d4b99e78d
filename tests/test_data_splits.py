"""Splits: stratified, grouped by patient, seeded; the leakage check; merged joins per split."""

import numpy as np
import pandas as pd
import pytest

from synecg.constants import CLASSES, SPLITS
from synecg.data.demo import write_demo
from synecg.data.prepare import merge_datasets, prepare_dataset
from synecg.data.splits import check_patients_disjoint, stratified_group_split
from synecg.data.store import load_split
from synecg.errors import DatasetError


def _labels_groups(n_per_class=50, records_per_patient=5):
    labels = np.repeat(CLASSES, n_per_class)
    groups = [f"{c}-{i // records_per_patient}" for c in CLASSES for i in range(n_per_class)]
    return pd.Series(labels), pd.Series(groups)


def test_split_is_stratified_80_10_10_and_keeps_patients_whole():
    labels, groups = _labels_groups()
    split = stratified_group_split(labels, groups, {"train": 0.8, "val": 0.1, "test": 0.1}, np.random.default_rng(0))
    table = pd.crosstab(labels, split)
    assert (table["train"] == 40).all() and (table["val"] == 5).all() and (table["test"] == 5).all()
    assert pd.DataFrame({"g": groups, "s": split}).groupby("g")["s"].nunique().max() == 1


def test_split_is_seeded():
    labels, groups = _labels_groups()
    fr = {"train": 0.8, "val": 0.1, "test": 0.1}
    a = stratified_group_split(labels, groups, fr, np.random.default_rng(1))
    b = stratified_group_split(labels, groups, fr, np.random.default_rng(1))
    c = stratified_group_split(labels, groups, fr, np.random.default_rng(2))
    assert a.equals(b) and not a.equals(c)


def test_small_classes_still_reach_val_and_test():
    labels = pd.Series(["SR"] * 40 + ["SVTAC"] * 3)
    groups = pd.Series([f"p{i}" for i in range(43)])
    split = stratified_group_split(labels, groups, {"train": 0.8, "val": 0.1, "test": 0.1}, np.random.default_rng(0))
    assert sorted(split[labels == "SVTAC"]) == ["test", "train", "val"]


def test_leakage_check_names_patients_in_two_splits():
    records = pd.DataFrame({"patient_id": ["a", "a", "b"], "split": ["train", "test", "val"],
                            "status": ["kept"] * 3})
    with pytest.raises(DatasetError, match=r"1 patients in more than one split \(e.g. a\)"):
        check_patients_disjoint(records, "records.csv")
    records.loc[1, "status"] = "quarantined"
    check_patients_disjoint(records)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    for name in ("ptbxl", "chapman"):
        write_demo(name, root / "raw" / name, 10, seed=5)
        prepare_dataset(name, root / "raw" / name, root / name, 100, 10, {}, seed=5, threads=2)
    merge_datasets({"ptbxl": root / "ptbxl", "chapman": root / "chapman"}, root / "merged")
    return root


def test_every_class_in_every_split_of_the_demo(prepared):
    for name in ("ptbxl", "chapman", "merged"):
        summary = pd.read_csv(prepared / name / "summary.csv", index_col="class")
        assert (summary[list(SPLITS)] > 0).all().all(), name


def test_ptbxl_demo_follows_strat_fold(prepared):
    records = pd.read_csv(prepared / "ptbxl" / "records.csv", dtype=str)
    table = pd.read_csv(prepared / "raw" / "ptbxl" / "ptbxl_database.csv", dtype=str)
    fold = dict(zip(table["ecg_id"], table["strat_fold"].astype(int)))
    expected = records["record_id"].map(lambda r: "val" if fold[r] == 9 else "test" if fold[r] == 10 else "train")
    assert (records["split"] == expected).all()


def test_merged_joins_both_datasets_per_split_in_order(prepared):
    for split in SPLITS:
        xm, ym, rows = load_split(prepared / "merged", split)
        xp, yp, _ = load_split(prepared / "ptbxl", split)
        xc, yc, _ = load_split(prepared / "chapman", split)
        assert np.array_equal(xm, np.concatenate([xp, xc])) and np.array_equal(ym, np.concatenate([yp, yc]))
        assert rows["record_id"].str.startswith("ptbxl:").sum() == len(xp)
        assert rows["record_id"].iloc[-1].startswith("chapman:JS")


def test_same_seed_gives_identical_prepared_arrays(prepared, tmp_path):
    prepare_dataset("chapman", prepared / "raw" / "chapman", tmp_path / "again", 100, 10, {}, seed=5, threads=1)
    for split in SPLITS:
        assert np.array_equal(np.load(prepared / "chapman" / f"{split}.npy"), np.load(tmp_path / "again" / f"{split}.npy"))
    assert (prepared / "chapman" / "records.csv").read_text() == (tmp_path / "again" / "records.csv").read_text()
    prepare_dataset("chapman", prepared / "raw" / "chapman", tmp_path / "other", 100, 10, {}, seed=6, threads=1)
    assert (prepared / "chapman" / "records.csv").read_text() != (tmp_path / "other" / "records.csv").read_text()


def test_filter_is_off_by_default_and_band_limits_when_on(prepared, tmp_path):
    cfg = {"filter": {"enabled": True, "highpass_hz": 0.5, "lowpass_hz": 40.0, "order": 2}}
    prepare_dataset("ptbxl", prepared / "raw" / "ptbxl", tmp_path / "f", 100, 10, cfg, seed=5)
    raw, _, _ = load_split(prepared / "ptbxl", "train")
    filtered, _, _ = load_split(tmp_path / "f", "train")
    assert np.abs(raw.mean(axis=2)).mean() > 5 * np.abs(filtered.mean(axis=2)).mean()  # wander removed


def test_multi_rhythm_records_follow_priority_rule():
    from synecg.data.labels import PTBXL_CODE_TO_CLASS, resolve_rhythm

    assert resolve_rhythm(["SR", "AFIB"], PTBXL_CODE_TO_CLASS, "drop").reason.startswith("several rhythm")
    assert resolve_rhythm(["SR", "AFIB"], PTBXL_CODE_TO_CLASS, ["AFIB", "SR"]).label == "AFIB"
    assert resolve_rhythm(["AFIB", "SR"], PTBXL_CODE_TO_CLASS, ["SR", "AFIB"]).label == "SR"
    assert resolve_rhythm(["SR", "PACE"], PTBXL_CODE_TO_CLASS, ["SR"]).label == "SR"
    assert resolve_rhythm(["PACE"], PTBXL_CODE_TO_CLASS, ["SR"]).reason == "rhythm PACE is not one of the seven classes"
    assert resolve_rhythm(["SR", "AFIB"], PTBXL_CODE_TO_CLASS, ["STACH"]).label == ""


def test_default_multi_rhythm_rule_keeps_the_rarer_class():
    from synecg.data.labels import CHAPMAN_ACRONYM_TO_CLASS, PTBXL_CODE_TO_CLASS, RAREST_FIRST, resolve_rhythm
    from synecg.data.prepare import multi_rhythm_rule

    assert multi_rhythm_rule({}) == list(RAREST_FIRST) and multi_rhythm_rule({"multi_rhythm": "drop"}) == "drop"
    assert sorted(RAREST_FIRST) == sorted(CLASSES) and RAREST_FIRST[-1] == "SR"
    for pair, rare in ((["AFIB", "AFLT"], "AFLT"), (["SR", "AFLT"], "AFLT"), (["AFLT", "SVTAC"], "SVTAC"),
                       (["STACH", "SVTAC"], "SVTAC"), (["SR", "SARRH"], "SARRH")):
        assert resolve_rhythm(pair, PTBXL_CODE_TO_CLASS, list(RAREST_FIRST)).label == rare
    assert resolve_rhythm(["SA", "SB"], CHAPMAN_ACRONYM_TO_CLASS, list(RAREST_FIRST)).label == "SARRH"


def test_rule_sensitivity_counts_each_rule_and_marks_the_configured_one():
    from synecg.data.catalog import catalog_row
    from synecg.data.prepare import rule_sensitivity

    rows = [catalog_row("1", "", "a", rhythms="AFIB;AFLT", status="excluded"),
            catalog_row("2", "", "b", rhythms="SR", label="SR"),
            catalog_row("3", "", "c", rhythms="AFLT;SR", status="excluded"),
            catalog_row("4", "", "d", status="quarantined", reason="duplicate record id"),
            catalog_row("5", "", "e", rhythms="", status="excluded", reason="no rhythm statement")]
    table = rule_sensitivity(pd.DataFrame(rows), "ptbxl", "drop")
    assert list(table.columns) == ["drop (configured)", "rarest_first"]
    assert table.loc["AFLT"].tolist() == [0, 2] and table.loc["SR"].tolist() == [1, 1]
    assert table.loc["excluded"].tolist() == [3, 1] and table.loc["total"].tolist() == [4, 4]
    custom = rule_sensitivity(pd.DataFrame(rows), "ptbxl", ["AFIB", "SR"])
    assert list(custom.columns) == ["drop", "rarest_first", "configured"]
    assert custom.loc["AFIB", "configured"] == 1 and custom.loc["AFLT", "configured"] == 0


def test_split_fractions_must_add_up_to_one(prepared, tmp_path):
    with pytest.raises(ValueError, match="prepare.split_fractions"):
        prepare_dataset("chapman", prepared / "raw" / "chapman", tmp_path, 100, 10,
                        {"split_fractions": {"train": 0.8, "val": 0.2, "test": 0.2}}, seed=5)
    assert not list(tmp_path.glob("*.npy")) and not list(tmp_path.glob(".*"))

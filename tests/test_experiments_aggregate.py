"""Aggregation: summaries over seeds with two-level intervals from the stored test predictions,
comparisons paired on the same seeds and test records against both references, multiplicity
adjustment, the answer table and the written tables."""

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.multitest import multipletests

from synecg.classify.metrics import classification_metrics
from synecg.experiments.aggregate import (
    adjust_family,
    collect_runs,
    compare,
    study_tables,
    summarise,
    to_latex,
    to_markdown,
    write_table,
)
from synecg.experiments.runs import Split, write_run
from synecg.experiments.settings import BALANCED, metrics_path, parse_setting

Y = np.repeat(np.arange(7), 4)  # 28 test records, four per class


def _proba(accuracy: float, rng: np.random.Generator) -> np.ndarray:
    """Class probabilities right on about ``accuracy`` of the records of Y."""
    right = rng.random(len(Y)) < accuracy
    pred = np.where(right, Y, (Y + 1 + rng.integers(0, 6, len(Y))) % 7)
    proba = np.full((len(Y), 7), 0.02)
    proba[np.arange(len(Y)), pred] = 0.88
    return proba


def _write_run(root, dataset, setting, generator, fraction, seed, accuracy, test_dataset=None, preset="p"):
    rng = np.random.default_rng([seed, int(accuracy * 100), len(setting)])
    proba = _proba(accuracy, rng)
    path = root / metrics_path(dataset, setting, generator, fraction, seed, test_dataset)
    record = {"dataset": dataset, **parse_setting(setting), "generator": generator, "fraction": fraction, "seed": seed,
              "test_set": "real", "test_dataset": test_dataset or dataset, "model": {"preset": preset},
              **classification_metrics(Y, proba)}
    ids = np.asarray([f"real:{test_dataset or dataset}{i}" for i in range(len(Y))], dtype=object)
    write_run(path, record, Split(np.zeros((len(Y), 12, 2), np.float32), Y, ids), proba)
    return path


def test_summary_gives_mean_and_std_over_seeds_and_a_two_level_interval(tmp_path):
    paths = [_write_run(tmp_path, "ptbxl", "TrRTeR", "real", 1.0, s, 0.6) for s in range(3)]
    runs = collect_runs(paths)
    row = summarise(runs, master_seed=1, resamples=200).iloc[0]
    assert row["n_seeds"] == 3 and row["n_test"] == 28
    assert row["accuracy_mean"] == pytest.approx(runs["accuracy"].mean())
    assert row["accuracy_std"] == pytest.approx(np.std(runs["accuracy"], ddof=1))
    assert row["macro_f1_ci_low"] < row["macro_f1_mean"] < row["macro_f1_ci_high"]
    # test records resampled, not only seeds: wider than the spread of the seeds alone
    assert row["macro_f1_ci_high"] - row["macro_f1_ci_low"] > runs["macro_f1"].max() - runs["macro_f1"].min()


def test_comparisons_pair_common_seeds_against_both_references_and_skip_tstr(tmp_path):
    paths = []
    for seed in range(3):
        paths.append(_write_run(tmp_path, "chapman", "TrRTeR", "real", 0.2, seed, 0.4))
        paths.append(_write_run(tmp_path, "chapman", BALANCED, "real", 0.2, seed, 0.5))
        paths.append(_write_run(tmp_path, "chapman", "TrRSTeR", "sssd", 0.2, seed, 0.9))
        paths.append(_write_run(tmp_path, "chapman", "TrSTeR", "sssd", 0.2, seed, 0.9))
    paths.append(_write_run(tmp_path, "chapman", "TrRSTeR", "sssd", 0.2, 9, 0.1))  # no baseline at seed 9
    runs = collect_runs(paths)
    cmp = compare(runs, master_seed=3, metrics=["macro_f1"], resamples=300)
    assert set(zip(cmp["setting"], cmp["reference"])) == {("TrRSTeR", "TrRTeR"), ("TrRSTeR", BALANCED), (BALANCED, "TrRTeR")}
    row = cmp[(cmp["setting"] == "TrRSTeR") & (cmp["reference"] == BALANCED)].iloc[0]
    f1 = runs.set_index(["setting", "seed"])["macro_f1"]
    expected = np.mean([f1[("TrRSTeR", s)] - f1[(BALANCED, s)] for s in range(3)])
    assert row["n_seeds"] == 3 and row["n_records"] == 28
    assert row["difference"] == pytest.approx(expected)
    assert row["ci_low"] > 0 and row["p_bootstrap"] < 0.05  # a large true gain is found


def test_family_adjustment_matches_statsmodels_and_keeps_undefined_p_values_undefined():
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.5])
    frame = pd.DataFrame({"p_bootstrap": p, "p_wilcoxon": p[::-1]})
    for method in ("holm", "fdr_bh"):
        out = adjust_family(frame, method)
        ok = ~np.isnan(p)
        assert np.allclose(out["p_bootstrap_adj"][ok], multipletests(p[ok], method=method)[1])
        assert np.isnan(out["p_bootstrap_adj"][3])


def test_study_tables_name_the_primary_endpoint_and_compare_like_networks(tmp_path):
    paths = []
    for seed in (0, 1, 2):
        for f in (0.2, 1.0):
            paths.append(_write_run(tmp_path, "ptbxl", "TrRTeR", "real", f, seed, 0.5, preset="ptb"))
            paths.append(_write_run(tmp_path, "ptbxl", BALANCED, "real", f, seed, 0.55, preset="ptb"))
            paths.append(_write_run(tmp_path, "ptbxl", "TrRSTeR", "sssd", f, seed, 0.7, preset="ptb"))
            paths.append(_write_run(tmp_path, "ptbxl", "TrRSTeR-r0.5", "sssd", f, seed, 0.6, preset="ptb"))
            paths.append(_write_run(tmp_path, "ptbxl", "transfer-head", "sssd", f, seed, 0.45, preset="ptb"))
            paths.append(_write_run(tmp_path, "chapman", "TrRTeR", "real", f, seed, 0.5, preset="chap"))
            paths.append(_write_run(tmp_path, "merged", "TrRTeR", "real", f, seed, 0.5, preset="chap"))
            for target in ("ptbxl", "chapman"):
                paths.append(_write_run(tmp_path, "merged", "TrRTeR", "real", f, seed, 0.4, target, preset="chap"))
    endpoint = {"setting": "TrRSTeR", "reference": BALANCED, "fraction": 0.2}
    tables = study_tables(collect_runs(paths), master_seed=0, resamples=100, level=0.95, primary="macro_f1",
                          endpoint=endpoint, method="holm", answer_classes=["AFLT"])
    answer = tables["answer"][0]
    assert len(answer) == 2 and answer["primary"].tolist() == [True, False]
    assert answer.loc[0, "reference"] == BALANCED and answer.loc[0, "difference"] > 0
    assert (answer["p_bootstrap_adj"] >= answer["p_bootstrap"]).all() and "f1_AFLT_difference" in answer
    assert "Primary endpoint" in tables["answer"][2] and "two-level bootstrap" in tables["answer"][2]
    aug = tables["augmentation"][0]
    assert {"TrRTeR", BALANCED, "TrRSTeR", "TrRSTeR-r0.5"} == set(aug["setting"])
    assert any("vs TrRTeR-balanced" in c for c in tables["augmentation"][1].columns)
    assert set(tables["transfer"][0]["setting"]) == {"TrRTeR", BALANCED, "transfer-head"}
    cross = tables["cross_dataset"][0]  # the PTB-XL baseline is another network: no in-domain row for it
    assert set(zip(cross["dataset"], cross["test_dataset"])) == {("merged", "ptbxl"), ("merged", "chapman"), ("chapman", "chapman")}
    numeric, display, caption = tables["baselines"]
    write_table(numeric.drop(columns="path", errors="ignore"), display, tmp_path / "baselines", caption)
    assert (tmp_path / "baselines.md").read_text().startswith(caption)
    assert r"\begin{tabular}" in (tmp_path / "baselines.tex").read_text()
    assert len(pd.read_csv(tmp_path / "baselines.csv")) == (2 + 1 + 1) * 2  # ptbxl baseline + control, chapman, merged


def test_markdown_and_latex_escape_and_align():
    table = pd.DataFrame({"a_b": ["50 %"], "c": ["0.1 ± 0.2"]})
    assert to_markdown(table).splitlines()[:2] == ["| a_b | c |", "| --- | --- |"]
    tex = to_latex(table, "x & y")
    assert r"a\_b" in tex and r"50 \%" in tex and r"$\pm$" in tex and r"x \& y" in tex

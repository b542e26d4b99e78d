"""Aggregation over seeds: bootstrap intervals, paired differences, the written tables."""

import numpy as np
import pandas as pd
import pytest

from synecg.experiments.aggregate import (
    bootstrap_ci,
    paired_differences,
    study_tables,
    summarise,
    to_latex,
    to_markdown,
    write_table,
)


def _runs(rows):
    base = {"test_set": "real", "n_test": 10, "macro_precision": 0.5, "macro_recall": 0.5, "macro_auroc": 0.8}
    return pd.DataFrame([{**base, **r, "test_dataset": r.get("test_dataset", r["dataset"])} for r in rows])


def test_bootstrap_interval_is_seeded_contains_the_mean_and_collapses_for_constants():
    v = [0.70, 0.72, 0.75, 0.69, 0.74]
    a = bootstrap_ci(v, np.random.default_rng(0), 2000)
    assert a == bootstrap_ci(v, np.random.default_rng(0), 2000)
    assert a[0] <= np.mean(v) <= a[1] and min(v) <= a[0] and a[1] <= max(v)
    assert bootstrap_ci([0.5, 0.5, 0.5], np.random.default_rng(0), 500) == (0.5, 0.5)
    assert bootstrap_ci([0.6], np.random.default_rng(0)) == (0.6, 0.6)
    assert all(np.isnan(bootstrap_ci([np.nan], np.random.default_rng(0))))


def test_summary_gives_mean_and_sample_std_over_seeds():
    runs = _runs([
        {"dataset": "ptbxl", "setting": "TrRTeR", "generator": "real", "fraction": 1.0, "seed": s, "accuracy": a, "macro_f1": a}
        for s, a in enumerate([0.6, 0.8])
    ])
    row = summarise(runs, master_seed=1, resamples=200).iloc[0]
    assert row["n_seeds"] == 2
    assert row["accuracy_mean"] == pytest.approx(0.7)
    assert row["accuracy_std"] == pytest.approx(np.std([0.6, 0.8], ddof=1))


def test_paired_difference_matches_seed_by_seed_and_ignores_unpaired_seeds():
    rows = []
    for seed, (base, aug) in enumerate([(0.60, 0.65), (0.70, 0.71), (0.50, 0.56)]):
        rows.append({"dataset": "chapman", "setting": "TrRTeR", "generator": "real", "fraction": 0.2, "seed": seed, "accuracy": base, "macro_f1": base})
        rows.append({"dataset": "chapman", "setting": "TrRSTeR", "generator": "sssd", "fraction": 0.2, "seed": seed, "accuracy": aug, "macro_f1": aug})
    rows.append({"dataset": "chapman", "setting": "TrRSTeR", "generator": "sssd", "fraction": 0.2, "seed": 9, "accuracy": 0.99, "macro_f1": 0.99})
    rows.append({"dataset": "chapman", "setting": "TrRTeR", "generator": "real", "fraction": 0.4, "seed": 0, "accuracy": 0.0, "macro_f1": 0.0})
    paired = paired_differences(_runs(rows), master_seed=3, resamples=500)
    assert len(paired) == 1
    row = paired.iloc[0]
    assert row["n_pairs"] == 3
    assert row["macro_f1_diff_mean"] == pytest.approx(np.mean([0.05, 0.01, 0.06]))
    assert 0.01 - 1e-12 <= row["macro_f1_diff_ci_low"] <= row["macro_f1_diff_ci_high"] <= 0.06 + 1e-12


def test_study_tables_hold_the_expected_rows(tmp_path):
    rows = []
    for seed in (0, 1):
        for f in (0.5, 1.0):
            rows.append({"dataset": "merged", "setting": "TrRTeR", "generator": "real", "fraction": f, "seed": seed, "accuracy": 0.7, "macro_f1": 0.6})
            rows.append({"dataset": "merged", "setting": "TrRTeR", "generator": "real", "fraction": f, "seed": seed, "accuracy": 0.6, "macro_f1": 0.5, "test_dataset": "ptbxl"})
            rows.append({"dataset": "ptbxl", "setting": "TrRTeR", "generator": "real", "fraction": f, "seed": seed, "accuracy": 0.8, "macro_f1": 0.7})
            rows.append({"dataset": "ptbxl", "setting": "transfer", "generator": "sssd", "fraction": f, "seed": seed, "accuracy": 0.75, "macro_f1": 0.65})
            rows.append({"dataset": "ptbxl", "setting": "TrRTeS", "generator": "sssd", "fraction": f, "seed": seed, "accuracy": 0.5, "macro_f1": 0.4, "test_set": "synthetic"})
    tables = study_tables(_runs(rows), master_seed=0, resamples=200, level=0.95, primary="macro_f1")
    cross = tables["cross_dataset"][0]
    assert set(zip(cross["dataset"], cross["test_dataset"])) == {("merged", "ptbxl"), ("ptbxl", "ptbxl")}
    transfer = tables["transfer"][0]
    assert set(transfer["setting"]) == {"TrRTeR", "transfer"} and set(transfer["dataset"]) == {"ptbxl"}
    assert transfer.loc[transfer["setting"] == "transfer", "macro_f1_diff_mean"].round(6).tolist() == [-0.05, -0.05]
    assert "-0.050" in tables["transfer"][1].iloc[-1, -1]
    assert len(tables["synthetic_settings"][0]) == 2
    numeric, display, caption = tables["baselines"]
    write_table(numeric, display, tmp_path / "baselines", caption)
    assert (tmp_path / "baselines.md").read_text().startswith(caption)
    assert "0.700 ± 0.000" in (tmp_path / "baselines.md").read_text()
    assert r"\begin{tabular}" in (tmp_path / "baselines.tex").read_text()
    assert len(pd.read_csv(tmp_path / "baselines.csv")) == 4


def test_markdown_and_latex_escape_and_align():
    table = pd.DataFrame({"a_b": ["50 %"], "c": ["0.1 ± 0.2"]})
    assert to_markdown(table).splitlines()[:2] == ["| a_b | c |", "| --- | --- |"]
    tex = to_latex(table, "x & y")
    assert r"a\_b" in tex and r"50 \%" in tex and r"$\pm$" in tex and r"x \& y" in tex

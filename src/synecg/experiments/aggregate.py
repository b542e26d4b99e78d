"""Aggregation of the grid: one row per run, per-configuration summaries, paired comparisons
and the study's tables (CSV, Markdown, LaTeX), with the answer table of the primary endpoint.

Statistics (synecg.experiments.stats): every interval of the primary metric is a two-level
bootstrap over seeds and test records (the runs' stored test predictions); every comparison is
paired on the same test records and seeds (paired bootstrap of the difference and Wilcoxon
signed-rank over seeds), made against the real-only baseline (TrRTeR) and the balanced real-only
control (TrRTeR-balanced) at the same dataset and fraction, with raw and Holm (or BH) adjusted
p-values across each table's family of comparisons. Mean ± std over seeds is shown for every
metric. TrSTeR / TrSTeS / TrRTeS are not paired: their fraction is of synthetic data or their test
set is synthetic, so no real-only run spends the same real-data budget on the same test set.

Control banks (generator ``control-<name>``, synecg.experiments.controls) are rows of their own,
flagged ``control``; their p-values are adjusted in a family of their own, so switching the
controls on changes no generator's adjusted p-value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from synecg.classify.metrics import SUMMARY_METRICS
from synecg.constants import CLASSES
from synecg.experiments import stats
from synecg.experiments.runs import load_predictions
from synecg.experiments.settings import BALANCED, TRANSFER, fraction_label, is_control
from synecg.io import atomic_path, read_json
from synecg.seeding import numpy_rng

GROUP_KEYS: tuple[str, ...] = ("dataset", "setting", "generator", "fraction", "test_set", "test_dataset")
RUN_COLUMNS: tuple[str, ...] = (
    *GROUP_KEYS, "family", "arm", "ratio", "trainable", "preset", "seed", "n_test", "n_train", "n_train_real",
    "n_train_synthetic", "best_epoch", "train_seconds", *SUMMARY_METRICS, *(f"f1_{c}" for c in CLASSES), "path",
)
METRIC_TITLES = {
    "accuracy": "Accuracy", "macro_precision": "Macro P", "macro_recall": "Macro R",
    "macro_f1": "Macro F1", "macro_auroc": "Macro AUROC",
}
REFERENCES: tuple[str, ...] = ("TrRTeR", BALANCED)
# Families whose fraction is a real-data budget and whose test set is the dataset's real test split.
PAIRED_FAMILIES: tuple[str, ...] = ("TrRTeR", "TrRSTeR", TRANSFER)


def collect_runs(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per metrics.json: the run's identity (setting, family, arm, ratio, trainable), sizes,
    metrics (per-class F1 as f1_<class>) and ``path`` (its predictions sit beside it)."""
    rows = []
    for path in paths:
        m = read_json(path)
        row = {k: m.get(k) for k in RUN_COLUMNS if not k.startswith("f1_")}
        row.update({f"f1_{c}": m["per_class_f1"].get(c) for c in CLASSES})
        row["preset"] = (m.get("model") or {}).get("preset")
        row["path"] = str(path)
        rows.append(row)
    runs = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    for col in (*SUMMARY_METRICS, *(f"f1_{c}" for c in CLASSES)):
        runs[col] = pd.to_numeric(runs[col], errors="coerce")
    return runs.sort_values([*GROUP_KEYS, "seed"]).reset_index(drop=True)


def stacked_predictions(group: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(y (N,), proba (S, N, 7)) of the runs of one configuration, seeds in ``group`` order.
    Raises when the runs were not scored on the same test records."""
    y0, ids0, probas = None, None, []
    for path in group["path"]:
        y, proba, ids = load_predictions(path)
        if ids0 is None:
            y0, ids0 = y, ids
        elif not (np.array_equal(ids, ids0) and np.array_equal(y, y0)):
            raise ValueError(f"{path}: test records differ from {group['path'].iloc[0]}")
        probas.append(proba)
    return y0, np.stack(probas)


def _key_rng(master_seed: int, *key: Any) -> np.random.Generator:
    return numpy_rng(master_seed, "bootstrap", *key)


def summarise(runs: pd.DataFrame, master_seed: int, resamples: int = 10000, level: float = 0.95,
              metrics: Sequence[str] = SUMMARY_METRICS, interval_metric: str = "macro_f1") -> pd.DataFrame:
    """Per configuration (GROUP_KEYS): n_seeds, n_test, mean and std (ddof 1) over seeds of every
    metric, and the two-level bootstrap interval (seeds and test records) of ``interval_metric``
    (``<metric>_ci_low`` / ``_ci_high``; the estimate is ``<metric>_mean``)."""
    rows = []
    for key, group in runs.groupby(list(GROUP_KEYS), sort=True):
        row = dict(zip(GROUP_KEYS, key))
        for col in ("family", "arm", "ratio", "trainable", "preset"):
            row[col] = group[col].iloc[0]
        row["n_seeds"] = int(group["seed"].nunique())
        row["n_test"] = int(group["n_test"].iloc[0])
        for metric in metrics:
            v = group[metric].to_numpy(dtype=np.float64)
            v = v[~np.isnan(v)]
            row[f"{metric}_mean"] = float(v.mean()) if len(v) else float("nan")
            row[f"{metric}_std"] = float(v.std(ddof=1)) if len(v) > 1 else float("nan")
        y, proba = stacked_predictions(group)
        interval = stats.two_level_bootstrap(y, proba, stats.metric_function(interval_metric), resamples, level,
                                             _key_rng(master_seed, *key, interval_metric))
        row[f"{interval_metric}_ci_low"], row[f"{interval_metric}_ci_high"] = interval.low, interval.high
        rows.append(row)
    return pd.DataFrame(rows)


def _own_real_runs(runs: pd.DataFrame) -> pd.DataFrame:
    return runs[(runs["test_set"] == "real") & (runs["test_dataset"] == runs["dataset"])]


def compare(runs: pd.DataFrame, master_seed: int, metrics: Sequence[str], resamples: int = 10000,
            level: float = 0.95, references: Sequence[str] = REFERENCES) -> pd.DataFrame:
    """Every arm tested on its own dataset's real test split (families PAIRED_FAMILIES) against each
    of ``references`` at the same dataset and fraction, on their common seeds and the same test
    records: one row per (arm, reference, metric) with the paired difference (arm - reference),
    its two-level bootstrap interval, bootstrap and Wilcoxon p-values (unadjusted)."""
    own = _own_real_runs(runs)
    own = own[own["family"].isin(PAIRED_FAMILIES)]
    rows = []
    for (dataset, fraction), at in own.groupby(["dataset", "fraction"], sort=True):
        for reference in references:
            ref = at[at["setting"] == reference].set_index("seed")
            if ref.empty:
                continue
            for (setting, generator), arm in at[at["setting"] != reference].groupby(["setting", "generator"], sort=True):
                if setting in references and list(references).index(setting) < list(references).index(reference):
                    continue  # each pair of references once (balanced vs baseline)
                arm = arm.set_index("seed")
                seeds = sorted(set(arm.index) & set(ref.index))
                if not seeds:
                    continue
                y_a, proba_a = stacked_predictions(arm.loc[seeds].reset_index())
                y_b, proba_b = stacked_predictions(ref.loc[seeds].reset_index())
                if not np.array_equal(y_a, y_b):
                    raise ValueError(f"{dataset} {setting} and {reference} were tested on different records")
                for metric in metrics:
                    c = stats.paired_comparison(y_a, proba_a, proba_b, stats.metric_function(metric), resamples, level,
                                                _key_rng(master_seed, "paired", dataset, setting, generator,
                                                         fraction_label(fraction), reference, metric))
                    rows.append({
                        "dataset": dataset, "setting": setting, "family": arm["family"].iloc[0], "generator": generator,
                        "control": is_control(generator), "fraction": float(fraction), "reference": reference, "metric": metric,
                        "difference": c.difference, "ci_low": c.low, "ci_high": c.high, "level": c.level,
                        "p_bootstrap": c.p_bootstrap, "wilcoxon_statistic": _nan(c.wilcoxon_statistic),
                        "p_wilcoxon": _nan(c.p_wilcoxon), "wilcoxon_note": getattr(c, "wilcoxon_note", ""),
                        "n_seeds": c.n_seeds, "n_records": c.n_records,
                    })
    return pd.DataFrame(rows, columns=[
        "dataset", "setting", "family", "generator", "control", "fraction", "reference", "metric", "difference", "ci_low",
        "ci_high", "level", "p_bootstrap", "wilcoxon_statistic", "p_wilcoxon", "wilcoxon_note", "n_seeds", "n_records"])


def _nan(value: float | None) -> float:
    """None (a test that does not exist, e.g. Wilcoxon with one seed) as NaN in the tables."""
    return float("nan") if value is None else float(value)


def adjust_family(comparisons: pd.DataFrame, method: str) -> pd.DataFrame:
    """Adds ``p_bootstrap_adj`` and ``p_wilcoxon_adj``: ``method`` (holm | fdr_bh) over the rows
    given, which are one table's family of comparisons; the control banks' rows (generator
    control-*) are a family of their own, so they neither dilute nor join the generators'."""
    out = comparisons.copy()
    control = out["generator"].map(is_control).to_numpy(dtype=bool) if "generator" in out else np.zeros(len(out), bool)
    for col in ("p_bootstrap", "p_wilcoxon"):
        p = out[col].to_numpy(dtype=float)
        adjusted = np.full(len(p), np.nan)
        for members in (~control, control):
            defined = members & ~np.isnan(p)  # Wilcoxon is undefined with one seed or all differences zero
            if defined.any():
                adjusted[defined] = stats.adjust_pvalues(p[defined], method=method)
        out[f"{col}_adj"] = adjusted
    return out


# --- presentation -------------------------------------------------------------------------------

def _fmt(mean: float, std: float, digits: int = 3) -> str:
    if np.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f}" if np.isnan(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def _fmt_ci(low: float, high: float, digits: int = 3) -> str:
    return "n/a" if np.isnan(low) else f"[{low:.{digits}f}, {high:.{digits}f}]"


def display_table(summary: pd.DataFrame, keys: Sequence[str], metrics: Sequence[str], with_ci: str | None = None) -> pd.DataFrame:
    """Human table: key columns, 'mean ± std' per metric, and the CI of one metric (``with_ci``)."""
    out = summary.loc[:, list(keys)].copy()
    if "fraction" in out:
        out["fraction"] = (summary["fraction"] * 100).round().astype(int).astype(str) + " %"
    for metric in metrics:
        out[METRIC_TITLES.get(metric, metric)] = [
            _fmt(m, s) for m, s in zip(summary[f"{metric}_mean"], summary[f"{metric}_std"])
        ]
    if with_ci:
        out[f"{METRIC_TITLES.get(with_ci, with_ci)} 95 % CI"] = [
            _fmt_ci(lo, hi) for lo, hi in zip(summary[f"{with_ci}_ci_low"], summary[f"{with_ci}_ci_high"])
        ]
    return out


def to_markdown(table: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, table.columns)) + " |"
    rule = "| " + " | ".join("---" for _ in table.columns) + " |"
    body = ["| " + " | ".join(str(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def _tex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"), ("±", r"$\pm$")):
        text = text.replace(a, b)
    return text


def to_latex(table: pd.DataFrame, caption: str) -> str:
    cols = "l" * len(table.columns)
    lines = [
        r"\begin{table}[ht]", r"\centering", rf"\caption{{{_tex_escape(caption)}}}", rf"\begin{{tabular}}{{{cols}}}",
        r"\hline", " & ".join(_tex_escape(str(c)) for c in table.columns) + r" \\", r"\hline",
        *(" & ".join(_tex_escape(str(v)) for v in row) + r" \\" for row in table.itertuples(index=False)),
        r"\hline", r"\end{tabular}", r"\end{table}",
    ]
    return "\n".join(lines) + "\n"


def write_table(numeric: pd.DataFrame, display: pd.DataFrame, stem: str | Path, caption: str) -> None:
    """``stem``.csv (numbers), ``stem``.md and ``stem``.tex (formatted), each atomically."""
    stem = Path(stem)
    with atomic_path(stem.with_suffix(".csv")) as tmp:
        numeric.to_csv(tmp, index=False)
    with atomic_path(stem.with_suffix(".md")) as tmp:
        tmp.write_text(f"{caption}\n\n{to_markdown(display)}")
    with atomic_path(stem.with_suffix(".tex")) as tmp:
        tmp.write_text(to_latex(display, caption))


# --- the paper's tables -------------------------------------------------------------------------

def _baseline_first(column: pd.Series) -> pd.Series:
    """Sort key putting the real-only rows (baseline, then balanced control) before the arms."""
    if column.name == "setting":
        return column.map(lambda s: {"TrRTeR": "0", BALANCED: "1"}.get(s, "2" + s))
    return column


def _own_real(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[(summary["test_dataset"] == summary["dataset"])]


def _fmt_p(p: float) -> str:
    return "n/a" if p is None or np.isnan(p) else (f"{p:.3f}" if p >= 0.001 else "<0.001")


def _fmt_comparison(c: Mapping[str, Any] | None, digits: int = 3) -> str:
    """'+0.012 [-0.010, 0.034] p 0.300 (adj 0.600)' of one comparison row."""
    if c is None or np.isnan(c["difference"]):
        return "n/a"
    return (f"{c['difference']:+.{digits}f} {_fmt_ci(c['ci_low'], c['ci_high'], digits)} "
            f"p {_fmt_p(c['p_bootstrap'])} (adj {_fmt_p(c['p_bootstrap_adj'])})")


def _comparison_table(summary_part: pd.DataFrame, comparisons: pd.DataFrame, metric: str, pct: str,
                      method: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of ``summary_part`` with, per reference, the paired comparison of ``metric``; the
    p-values adjusted over this table's family (every arm x reference it shows)."""
    keys = ["dataset", "setting", "generator", "fraction"]
    family = comparisons[(comparisons["metric"] == metric)].merge(summary_part[keys].drop_duplicates(), on=keys)
    family = adjust_family(family, method)
    display = display_table(summary_part, ("dataset", "setting", "generator", "fraction", "n_seeds"), list(SUMMARY_METRICS), metric)
    lookup = {(*(r[k] for k in keys), r["reference"]): r for r in family.to_dict("records")}
    for reference in REFERENCES:
        display[f"Δ {METRIC_TITLES[metric]} vs {reference} (paired, {pct} CI, p, {method})"] = [
            "" if r["setting"] == reference else _fmt_comparison(lookup.get((*(r[k] for k in keys), reference)))
            for r in summary_part.to_dict("records")
        ]
    return family, display


def answer_table(comparisons: pd.DataFrame, endpoint: Mapping[str, Any], metric: str, classes: Sequence[str],
                 method: str) -> pd.DataFrame:
    """The primary endpoint per dataset and generator: ``endpoint['setting']`` minus each
    reference at ``endpoint['fraction']`` in ``metric`` (the row whose reference is
    ``endpoint['reference']`` is the primary one), p-values adjusted over the table's rows, and
    the per-class F1 differences of ``classes`` beside it (intervals, unadjusted: secondary).
    Control banks' rows (``control``) follow the generators', never primary, adjusted apart."""
    at = comparisons[(comparisons["setting"] == endpoint["setting"])
                     & np.isclose(comparisons["fraction"], float(endpoint["fraction"]))]
    main = adjust_family(at[at["metric"] == metric], method)
    rows = []  # empty when the grid has no runs of the endpoint's arm (no generator enabled)
    for r in main.to_dict("records"):
        row = {
            "dataset": r["dataset"], "generator": r["generator"], "control": r["control"], "setting": r["setting"],
            "reference": r["reference"], "fraction": r["fraction"], "metric": metric,
            "primary": r["reference"] == endpoint["reference"] and not r["control"],
            **{k: r[k] for k in ("difference", "ci_low", "ci_high", "p_bootstrap", "p_bootstrap_adj", "p_wilcoxon",
                                 "p_wilcoxon_adj", "n_seeds", "n_records", "level")},
            "adjustment": method,
        }
        for c in classes:
            f = at[(at["metric"] == f"f1_{c}") & (at["dataset"] == r["dataset"]) & (at["generator"] == r["generator"])
                   & (at["reference"] == r["reference"])]
            for col in ("difference", "ci_low", "ci_high"):
                row[f"f1_{c}_{col}"] = float(f[col].iloc[0]) if len(f) else float("nan")
        rows.append(row)
    if not rows:
        return pd.DataFrame(columns=["dataset", "generator", "control", "setting", "reference", "fraction", "metric", "primary",
                                     "difference", "ci_low", "ci_high", "p_bootstrap", "p_bootstrap_adj", "p_wilcoxon",
                                     "p_wilcoxon_adj", "n_seeds", "n_records", "level", "adjustment",
                                     *(f"f1_{c}_{k}" for c in classes for k in ("difference", "ci_low", "ci_high"))])
    order = ["dataset", "control", "generator", "primary", "reference"]
    return pd.DataFrame(rows).sort_values(order, ascending=[True, True, True, False, False]).reset_index(drop=True)


def answer_display(answer: pd.DataFrame, classes: Sequence[str]) -> pd.DataFrame:
    out = answer.loc[:, ["dataset", "generator", "setting", "reference"]].copy()
    out["endpoint"] = ["control" if c else "primary" if p else "secondary" for p, c in zip(answer["primary"], answer["control"])]
    out["Δ (95 % CI)"] = [f"{r['difference']:+.3f} {_fmt_ci(r['ci_low'], r['ci_high'])}" for r in answer.to_dict("records")]
    for col, title in (("p_bootstrap", "p boot"), ("p_bootstrap_adj", "p boot adj"), ("p_wilcoxon", "p Wilcoxon"),
                       ("p_wilcoxon_adj", "p Wilcoxon adj")):
        out[title] = [_fmt_p(p) for p in answer[col]]
    for c in classes:
        out[f"Δ F1 {c}"] = [
            "absent" if np.isnan(r[f"f1_{c}_difference"]) else f"{r[f'f1_{c}_difference']:+.3f} {_fmt_ci(r[f'f1_{c}_ci_low'], r[f'f1_{c}_ci_high'])}"
            for r in answer.to_dict("records")
        ]
    return out


def study_tables(runs: pd.DataFrame, master_seed: int, resamples: int, level: float, primary: str,
                 endpoint: Mapping[str, Any] | None = None, method: str = "holm",
                 answer_classes: Sequence[str] = ()) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, str]]:
    """name -> (numeric table, display table, caption) for every table the study writes (with
    ``endpoint``, the answer table of the primary endpoint too)."""
    summary = summarise(runs, master_seed, resamples, level, interval_metric=primary)
    comparison_metrics = [primary, *(f"f1_{c}" for c in answer_classes)]
    comparisons = compare(runs, master_seed, comparison_metrics, resamples, level)
    pct = f"{level * 100:g} %"
    boot = (f"Intervals: {pct}, two-level bootstrap over seeds and test records ({resamples} resamples) of "
            f"{METRIC_TITLES[primary]}; other metrics mean ± std over seeds.")
    paired = (f"Differences paired on the same test records and seeds (arm - reference): paired two-level "
              f"bootstrap interval and p-value, Wilcoxon signed-rank over seeds; p-values adjusted ({method}) "
              f"across this table's comparisons, raw and adjusted side by side; the control banks' rows "
              f"(generator control-*: real training records as a bank) form a family of their own.")
    main = list(SUMMARY_METRICS)
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame, str]] = {}
    tables["experiments_summary"] = (
        summary, display_table(summary, GROUP_KEYS, main, primary), f"Every configuration. {boot}",
    )
    own = _own_real(summary)
    base = own[own["family"] == "TrRTeR"].sort_values(["dataset", "fraction", "setting"], key=_baseline_first)
    tables["baselines"] = (
        base, display_table(base, ("dataset", "setting", "fraction", "n_seeds", "n_test"), main, primary),
        f"Real-only baselines (TrRTeR) and the class-balanced real-only control (TrRTeR-balanced: the same "
        f"subsets and seeds, oversampled) per dataset and fraction of the real training data. {boot}",
    )
    synth = own[own["setting"].isin(["TrSTeR", "TrRTeS", "TrSTeS"])]
    tables["synthetic_settings"] = (
        synth, display_table(synth, ("dataset", "setting", "generator", "fraction", "n_seeds"), main, primary),
        f"Synthetic train/test settings: TSTR (TrSTeR; fraction of the synthetic data), TRTS (TrRTeS), TrSTeS. "
        f"Not paired with real-only runs (no equal real-data budget on the same test set). {boot}",
    )
    for name, family, caption in (
        ("augmentation", "TrRSTeR", "Augmentation arms (TrRSTeR: the whole bank; -r<k>: k x the real subset of "
                                    "class-balanced synthetic data; -equal: the pool at one bank's size; generator "
                                    "control-shuffled / control-copies: control banks of real training records with "
                                    "labels unrelated to the signals / class-balanced copies), real test"),
        ("transfer", TRANSFER, "Transfer learning (synthetic pre-training; fine-tuning the head only or all layers on real data)"),
    ):
        runs_of = own[own["family"] == family]
        reference = own[own["setting"].isin(REFERENCES)].merge(runs_of[["dataset", "fraction"]].drop_duplicates(), on=["dataset", "fraction"])
        part = pd.concat([reference, runs_of]).sort_values(["dataset", "fraction", "setting", "generator"], key=_baseline_first)
        family_rows, display = _comparison_table(part, comparisons, primary, pct, method)
        numeric = part.merge(family_rows, on=["dataset", "setting", "generator", "fraction"], how="left", suffixes=("", "_cmp"))
        tables[name] = (numeric, display, f"{caption}, against TrRTeR and TrRTeR-balanced at the same fractions and seeds. {boot} {paired}")
    all_family = adjust_family(comparisons[comparisons["metric"] == primary], method)
    cmp_display = all_family.loc[:, ["dataset", "setting", "generator", "control", "fraction", "reference", "n_seeds", "n_records"]].copy()
    cmp_display["fraction"] = (all_family["fraction"] * 100).round().astype(int).astype(str) + " %"
    cmp_display[f"Δ {METRIC_TITLES[primary]} ({pct} CI)"] = [_fmt_ci(lo, hi) if np.isnan(d) else f"{d:+.3f} {_fmt_ci(lo, hi)}"
                                                             for d, lo, hi in zip(all_family["difference"], all_family["ci_low"], all_family["ci_high"])]
    for col, title in (("p_bootstrap", "p boot"), ("p_bootstrap_adj", "p boot adj"), ("p_wilcoxon", "p Wilcoxon"), ("p_wilcoxon_adj", "p Wilcoxon adj")):
        cmp_display[title] = [_fmt_p(p) for p in all_family[col]]
    tables["comparisons"] = (all_family, cmp_display, f"Every paired comparison of the grid in {METRIC_TITLES[primary]}. {paired}")
    trained_elsewhere = summary[(summary["setting"] == "TrRTeR") & (summary["test_dataset"] != summary["dataset"])]
    in_domain = base[(base["setting"] == "TrRTeR") & base["dataset"].isin(trained_elsewhere["test_dataset"])
                     & base["preset"].isin(trained_elsewhere["preset"])]
    cross = pd.concat([trained_elsewhere, in_domain]).sort_values(["test_dataset", "fraction", "dataset"])
    cross_display = display_table(cross, ("dataset", "test_dataset", "preset", "fraction", "n_seeds"), main, primary)
    tables["cross_dataset"] = (
        cross, cross_display.rename(columns={"dataset": "trained on", "test_dataset": "tested on", "preset": "network"}),
        "Cross-dataset: trained on merged real data, tested on one source dataset, beside the in-domain baseline "
        "only where it is the same network (classifier preset); a dataset whose own preset differs shows no "
        f"in-domain row (set classifier.dataset_preset alike to compare). {boot}",
    )
    if endpoint is not None:
        answer = answer_table(comparisons, endpoint, primary, answer_classes, method)
        tables["answer"] = (
            answer, answer_display(answer, answer_classes),
            f"The answer. Primary endpoint (pre-declared in experiments.primary_endpoint): {METRIC_TITLES[primary]} of "
            f"{endpoint['setting']} minus {endpoint['reference']} at {float(endpoint['fraction']) * 100:g} % of the real "
            f"training data, per dataset and generator; the rows against TrRTeR are secondary. {paired} Per-class F1 "
            f"differences of the rare classes ({', '.join(answer_classes)}) beside it, unadjusted; 'absent': the class "
            "has no record in the test split. Rows 'control' (generator control-*) run the same arm with a control "
            "bank of real training records: control-shuffled (labels unrelated to the signals) should gain nothing, "
            "control-copies (class-balanced copies) should match TrRTeR-balanced.",
        )
    return tables

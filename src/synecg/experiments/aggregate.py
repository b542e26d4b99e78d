"""Aggregation over seeds: mean, std and a 95 % bootstrap interval per configuration; paired
differences against the real-only baseline (TrRTeR) at the same dataset, fraction and seeds;
the paper's tables (baselines, synthetic settings, augmentation, transfer, cross-dataset) as CSV,
Markdown and LaTeX."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from synecg.classify.metrics import SUMMARY_METRICS
from synecg.constants import CLASSES
from synecg.experiments.settings import REAL_GENERATOR, TRANSFER
from synecg.io import atomic_path, read_json
from synecg.seeding import numpy_rng

GROUP_KEYS: tuple[str, ...] = ("dataset", "setting", "generator", "fraction", "test_set", "test_dataset")
RUN_COLUMNS: tuple[str, ...] = (
    *GROUP_KEYS, "seed", "n_test", "n_train", "n_train_real", "n_train_synthetic", "best_epoch", "train_seconds",
    *SUMMARY_METRICS, *(f"f1_{c}" for c in CLASSES),
)
METRIC_TITLES = {
    "accuracy": "Accuracy", "macro_precision": "Macro P", "macro_recall": "Macro R",
    "macro_f1": "Macro F1", "macro_auroc": "Macro AUROC",
}


def collect_runs(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per metrics.json: the run's identity, sizes and metrics (per-class F1 as f1_<class>)."""
    rows = []
    for path in paths:
        m = read_json(path)
        row = {k: m.get(k) for k in RUN_COLUMNS if not k.startswith("f1_")}
        row.update({f"f1_{c}": m["per_class_f1"].get(c) for c in CLASSES})
        rows.append(row)
    runs = pd.DataFrame(rows, columns=list(RUN_COLUMNS))
    for col in (*SUMMARY_METRICS, *(f"f1_{c}" for c in CLASSES)):
        runs[col] = pd.to_numeric(runs[col], errors="coerce")
    return runs.sort_values([*GROUP_KEYS, "seed"]).reset_index(drop=True)


def bootstrap_ci(values: Sequence[float], rng: np.random.Generator, resamples: int = 10000, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``values`` (resampling seeds with replacement).

    NaN values (a metric undefined for a run) are left out; no value gives (nan, nan), one value
    a zero-width interval.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return float("nan"), float("nan")
    if len(v) == 1:
        return float(v[0]), float(v[0])
    means = v[rng.integers(0, len(v), size=(resamples, len(v)))].mean(axis=1)
    alpha = (1.0 - level) / 2.0
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1.0 - alpha))


def _stats(values: pd.Series, rng: np.random.Generator, resamples: int, level: float) -> dict[str, float]:
    v = values.to_numpy(dtype=np.float64)
    valid = v[~np.isnan(v)]
    low, high = bootstrap_ci(valid, rng, resamples, level)
    return {
        "mean": float(valid.mean()) if len(valid) else float("nan"),
        "std": float(valid.std(ddof=1)) if len(valid) > 1 else float("nan"),
        "ci_low": low, "ci_high": high,
    }


def _key_rng(master_seed: int, *key: Any) -> np.random.Generator:
    return numpy_rng(master_seed, "bootstrap", *key)


def summarise(runs: pd.DataFrame, master_seed: int, resamples: int = 10000, level: float = 0.95,
              metrics: Sequence[str] = SUMMARY_METRICS) -> pd.DataFrame:
    """Per configuration (GROUP_KEYS) and metric: n_seeds, mean, std (ddof 1), bootstrap CI of the mean."""
    rows = []
    for key, group in runs.groupby(list(GROUP_KEYS), sort=True):
        row = dict(zip(GROUP_KEYS, key))
        row["n_seeds"] = int(group["seed"].nunique())
        row["n_test"] = int(group["n_test"].iloc[0])
        for metric in metrics:
            stats = _stats(group[metric], _key_rng(master_seed, *key, metric), resamples, level)
            row.update({f"{metric}_{k}": v for k, v in stats.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(runs: pd.DataFrame, master_seed: int, resamples: int = 10000, level: float = 0.95,
                       metrics: Sequence[str] = SUMMARY_METRICS) -> pd.DataFrame:
    """Each configuration tested on its own dataset's real test set minus the real-only baseline
    (TrRTeR) at the same dataset and fraction, seed by seed over their common seeds."""
    own_real = runs[(runs["test_set"] == "real") & (runs["test_dataset"] == runs["dataset"])]
    base = own_real[own_real["setting"] == "TrRTeR"].set_index(["dataset", "fraction", "seed"])
    rows = []
    others = own_real[own_real["setting"] != "TrRTeR"]
    for key, group in others.groupby(["dataset", "setting", "generator", "fraction"], sort=True):
        dataset, _, _, fraction = key
        g = group.set_index(["dataset", "fraction", "seed"])
        common = g.index.intersection(base.index)
        if not len(common):
            continue
        row = dict(zip(("dataset", "setting", "generator", "fraction"), key))
        row["n_pairs"] = len(common)
        for metric in metrics:
            diff = g.loc[common, metric].to_numpy(dtype=float) - base.loc[common, metric].to_numpy(dtype=float)
            stats = _stats(pd.Series(diff), _key_rng(master_seed, "paired", *key, metric), resamples, level)
            row.update({f"{metric}_diff_{k}": v for k, v in stats.items()})
        rows.append(row)
    return pd.DataFrame(rows)


# --- presentation -------------------------------------------------------------------------------

def _fmt(mean: float, std: float, digits: int = 3) -> str:
    if np.isnan(mean):
        return "n/a"
    return f"{mean:.{digits}f}" if np.isnan(std) else f"{mean:.{digits}f} ± {std:.{digits}f}"


def _fmt_ci(low: float, high: float, digits: int = 3) -> str:
    return "n/a" if np.isnan(low) else f"[{low:.{digits}f}, {high:.{digits}f}]"


def _fmt_diff(row: Mapping[str, Any], metric: str, digits: int = 3) -> str:
    mean = row.get(f"{metric}_diff_mean", float("nan"))
    if mean is None or np.isnan(mean):
        return "n/a"
    return f"{mean:+.{digits}f} {_fmt_ci(row[f'{metric}_diff_ci_low'], row[f'{metric}_diff_ci_high'], digits)}"


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
    """Sort key putting the real-only rows before the settings compared with them."""
    if column.name == "setting":
        return column.map(lambda s: "" if s == "TrRTeR" else s)
    return column


def _own_real(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[(summary["test_dataset"] == summary["dataset"])]


def _with_paired(table: pd.DataFrame, paired: pd.DataFrame) -> pd.DataFrame:
    if paired.empty:
        return table
    return table.merge(paired, on=["dataset", "setting", "generator", "fraction"], how="left")


def study_tables(runs: pd.DataFrame, master_seed: int, resamples: int, level: float, primary: str) -> dict[str, tuple[pd.DataFrame, pd.DataFrame, str]]:
    """name -> (numeric table, display table, caption) for every table the study writes."""
    summary = summarise(runs, master_seed, resamples, level)
    paired = paired_differences(runs, master_seed, resamples, level)
    pct = f"{level * 100:g} %"
    main = list(SUMMARY_METRICS)
    tables: dict[str, tuple[pd.DataFrame, pd.DataFrame, str]] = {}
    tables["experiments_summary"] = (
        summary, display_table(summary, GROUP_KEYS, main, primary),
        f"Every configuration: mean ± std over seeds, {pct} bootstrap CI of the mean.",
    )
    own = _own_real(summary)
    base = own[own["setting"] == "TrRTeR"]
    tables["baselines"] = (
        base, display_table(base, ("dataset", "fraction", "n_seeds", "n_test"), main, primary),
        "Real-only baselines (TrRTeR) per dataset and fraction of the real training data.",
    )
    synth = own[own["setting"].isin(["TrSTeR", "TrRTeS", "TrSTeS"])]
    tables["synthetic_settings"] = (
        synth, display_table(synth, ("dataset", "setting", "generator", "fraction", "n_seeds"), main, primary),
        "Synthetic train/test settings: TSTR (TrSTeR), TRTS (TrRTeS), TrSTeS.",
    )
    for name, setting, caption in (
        ("augmentation", "TrRSTeR", "Augmentation (TrRSTeR: real + synthetic training, real test) against the real-only baseline"),
        ("transfer", TRANSFER, "Transfer learning (synthetic pre-training, fine-tuning on real data) against real-only"),
    ):
        runs_of = own[own["setting"] == setting]
        reference = base.merge(runs_of[["dataset", "fraction"]].drop_duplicates(), on=["dataset", "fraction"])
        part = pd.concat([reference, runs_of]).sort_values(["dataset", "fraction", "setting", "generator"], key=_baseline_first)
        numeric = _with_paired(part, paired[paired["setting"] == setting] if not paired.empty else paired)
        display = display_table(numeric, ("dataset", "setting", "generator", "fraction", "n_seeds"), main, primary)
        display[f"Δ {METRIC_TITLES[primary]} vs TrRTeR (paired, {pct} CI)"] = [
            "" if r["setting"] == "TrRTeR" else _fmt_diff(r, primary) for r in numeric.to_dict("records")
        ]
        tables[name] = (numeric, display, f"{caption}, same fractions and seeds.")
    trained_elsewhere = summary[(summary["setting"] == "TrRTeR") & (summary["test_dataset"] != summary["dataset"])]
    in_domain = base[base["dataset"].isin(trained_elsewhere["test_dataset"])]
    cross = pd.concat([trained_elsewhere, in_domain]).sort_values(["test_dataset", "fraction", "dataset"])
    cross_display = display_table(cross, ("dataset", "test_dataset", "fraction", "n_seeds"), main, primary)
    tables["cross_dataset"] = (
        cross, cross_display.rename(columns={"dataset": "trained on", "test_dataset": "tested on"}),
        "Cross-dataset: trained on merged real data, tested on one source dataset, beside the in-domain baseline.",
    )
    paired_display = pd.DataFrame()
    if not paired.empty:
        paired_display = paired.loc[:, ["dataset", "setting", "generator", "fraction", "n_pairs"]].copy()
        paired_display["fraction"] = (paired["fraction"] * 100).round().astype(int).astype(str) + " %"
    for metric in main:
        if not paired.empty:
            paired_display[f"Δ {METRIC_TITLES[metric]}"] = [_fmt_diff(r, metric) for r in paired.to_dict("records")]
    tables["paired_vs_real"] = (paired, paired_display, f"Paired differences to TrRTeR (same dataset, fraction, seeds), mean and {pct} bootstrap CI.")
    return tables

"""The fidelity table: every metrics.json flattened to one row per (dataset, generator, class).

``class`` is ``all`` for the overall row. The generator ``real (val)`` is the reference row: the
real validation split scored against the real training split, i.e. the floor every bank is
compared with. The CSV holds every number; Markdown/LaTeX show the headline columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from synecg.io import read_json

REFERENCE = "real (val)"

# Headline columns of the Markdown/LaTeX table: (metric key, title, digits).
HEADLINE: tuple[tuple[str, str, int], ...] = (
    ("classifier_fid", "FID (clf)", 2),
    ("classifier_kid", "KID (clf)", 3),
    ("classifier_precision", "Prec", 2),
    ("classifier_recall", "Rec", 2),
    ("classifier_density", "Dens", 2),
    ("classifier_coverage", "Cov", 2),
    ("randconv_fid", "FID (rc)", 2),
    ("randconv_mmd", "MMD (rc)", 3),
    ("classifier_c2st_accuracy", "C2ST acc", 2),
    ("classifier_c2st_score", "C2ST score", 2),
    ("trts_accuracy", "TRTS acc", 2),
    ("trts_macro_f1", "TRTS F1", 2),
    ("psd_db_mean", "PSD dB", 2),
    ("sliced_wasserstein", "SW (mV)", 3),
    ("lead_corr_diff", "Corr diff", 3),
    ("einthoven_rel", "Einthoven", 3),
    ("hr_bpm_w1", "HR W1", 1),
    ("qrs_ms_w1", "QRS W1", 1),
    ("fail_fraction", "Delin. fail", 2),
    ("dcr_ratio", "DCR ratio", 2),
    ("near_copies", "Near copies", 0),
)


def fidelity_rows(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per (dataset, generator, class) from metrics.json files written by score_fidelity."""
    rows = []
    for path in paths:
        m = read_json(path)
        keys = {"dataset": m["dataset"], "generator": m["generator"]}
        rows.append({**keys, "class": "all", "n_synthetic": m["n"]["synthetic"], **m["overall"]})
        for cls, values in m["per_class"].items():
            rows.append({**keys, "class": cls, "n_synthetic": m["n"]["synthetic_per_class"].get(cls, 0), **values})
    return pd.DataFrame(rows)


def _fmt(value, digits: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "–"
    return f"{value:.{digits}f}" if digits else f"{int(value)}"


def display(rows: pd.DataFrame) -> pd.DataFrame:
    """Headline columns, formatted; only the overall (class ``all``) rows."""
    overall = rows[rows["class"] == "all"]
    out = overall.loc[:, ["dataset", "generator"]].copy()
    for key, title, digits in HEADLINE:
        out[title] = [_fmt(v, digits) for v in overall[key]] if key in overall else "–"
    return out.reset_index(drop=True)

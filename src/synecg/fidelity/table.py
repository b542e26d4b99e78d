"""The fidelity table: every metrics.json flattened to one row per (dataset, generator, class).

``class`` is ``all`` for the overall row. Every dataset has two reference rows: ``real floor`` (held-out
real records at the bank's class size, scored against the real training split) and ``noise
ceiling`` (Gaussian noise matched per lead); ``<metric>_norm`` columns place every row between them. The CSV holds every number; Markdown/LaTeX show the headline columns.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd

from synecg.io import read_json

FLOOR = "real floor"
CEILING = "noise ceiling"

# Metrics read between their floor and ceiling: column ``<key>_norm`` = (m - floor) / (ceiling - floor),
# 0 = as close as new real records, 1 = as far as per-lead noise.
NORMALISED: tuple[str, ...] = (
    "classifier_fid", "randconv_fid", "classifier_mmd", "randconv_mmd", "classifier_sw", "randconv_sw",
    "classifier_c2st_accuracy", "randconv_c2st_accuracy", "psd_db_mean",
)

# Headline columns of the Markdown/LaTeX table: (metric key, title, digits).
HEADLINE: tuple[tuple[str, str, int], ...] = (
    ("classifier_fid", "FID (clf)", 2),
    ("classifier_fid_norm", "FID (clf) norm", 2),
    ("randconv_fid", "FID (rc)", 2),
    ("randconv_fid_norm", "FID (rc) norm", 2),
    ("randconv_mmd_norm", "MMD (rc) norm", 2),
    ("randconv_sw_norm", "SW (rc) norm", 2),
    ("classifier_c2st_accuracy", "C2ST acc (clf)", 2),
    ("classifier_c2st_below_chance", "C2ST < chance", 0),
    ("randconv_c2st_accuracy", "C2ST acc (rc)", 2),
    ("randconv_precision", "Prec (rc)", 2),
    ("randconv_coverage", "Cov (rc)", 2),
    ("trts_accuracy", "TRTS acc", 2),
    ("psd_db_mean", "PSD dB", 2),
    ("psd_db_mean_norm", "PSD norm", 2),
    ("lead_corr_diff", "Corr diff", 3),
    ("hr_bpm_w1", "HR W1", 1),
    ("dcr_ratio", "DCR ratio", 2),
    ("near_copies", "Near copies", 0),
    ("degenerate", "Degenerate", 0),
    ("mia_auc", "Attack AUC", 2),
)


def normalise(rows: pd.DataFrame) -> pd.DataFrame:
    """Add ``<key>_norm`` columns: each row between its dataset's (and class's) floor and ceiling rows."""
    out = rows.copy()
    for key in NORMALISED:
        if key not in out:
            continue
        floor = out[out["generator"] == FLOOR].set_index(["dataset", "class"])[key]
        ceiling = out[out["generator"] == CEILING].set_index(["dataset", "class"])[key]
        at = pd.MultiIndex.from_frame(out[["dataset", "class"]])
        f = floor.reindex(at).to_numpy(dtype=float)
        c = ceiling.reindex(at).to_numpy(dtype=float)
        span = c - f
        value = out[key].to_numpy(dtype=float)
        out[f"{key}_norm"] = np.divide(value - f, span, out=np.full(len(out), np.nan), where=np.abs(span) > 0)
    return out


def fidelity_rows(paths: Iterable[str | Path]) -> pd.DataFrame:
    """One row per (dataset, generator, class) from metrics.json files written by fidelity_bank, fidelity_pool and score_fidelity_reference."""
    rows = []
    for path in paths:
        m = read_json(path)
        keys = {"dataset": m["dataset"], "generator": m["generator"]}
        rows.append({**keys, "class": "all", "n_synthetic": m["n"]["synthetic"], **m["overall"]})
        for cls, values in m["per_class"].items():
            rows.append({**keys, "class": cls, "n_synthetic": m["n"]["synthetic_per_class"].get(cls, 0), **values})
    return normalise(pd.DataFrame(rows))


def _fmt(value, digits: int) -> str:
    if isinstance(value, str):
        return value
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

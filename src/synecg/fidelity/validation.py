"""Metric validation suite: score sets whose answer is known and check each metric ranks them right.

From real records split by patient into a training set, a held-out query set and a second held-out
reference set (memorisation reference and attack non-members), the suite builds:

- ``held-out real``: the query records themselves (the floor: nothing is wrong);
- ``time-shifted``: the query records rolled by 0.3 s (still real ECGs: a distribution metric should
  not object, a copy detector must not be fooled when the records are copies);
- ``scaled x2``: the query records times 2 (a mild, physiologically wrong perturbation);
- ``noise``: Gaussian noise with each lead's real mean and standard deviation (the ceiling);
- ``flat``: constant 10 µV traces (degenerate);
- ``copies``: training records plus 5 µV Gaussian noise;
- ``shifted copies``: training records rolled by 0.25 s plus 5 µV noise.

Every set is scored against the training records in the training-free random-convolution space
and on the signals, as ``score.score_set`` scores a bank, and ``ranking_table`` turns the scores
into the table of docs/fidelity.md. ``python -m synecg.fidelity.validation DATA_DIR OUT.md``
rebuilds that table from the real PTB-XL subset.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from synecg.fidelity import memorisation
from synecg.fidelity.embed import noise_ceiling
from synecg.fidelity.features import RandomConvConfig, RandomConvFeatures
from synecg.fidelity.score import FidelityConfig, feature_metrics, signal_metrics, space_reference

FS = 100.0
SETS = ("held-out real", "time-shifted", "scaled x2", "noise", "flat", "copies", "shifted copies")
# (column, title, direction): the headline distribution metrics, larger = further from real.
HEADLINE = (
    ("randconv_fid", "FID (rc)"),
    ("randconv_kid", "KID (rc)"),
    ("randconv_mmd", "MMD (rc)"),
    ("randconv_sw", "SW (rc)"),
    ("randconv_c2st_accuracy", "C2ST acc (rc)"),
    ("psd_db_mean", "PSD dB"),
)
# Reported beside the headline metrics, not ranked: a correlation cannot see a change of amplitude.
SIDE = (("lead_corr_diff", "Corr diff"),)
PRIVACY = (
    ("near_copy_fraction", "near-copy frac"),
    ("dcr_median", "DCR median"),
    ("mia_auc", "attack AUC"),
    ("degenerate_fraction", "degenerate frac"),
)


def load_ptbxl_subset(data_dir: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """(x (N, 12, 1000) float32 mV, patient_id (N,)) of the 100 Hz PTB-XL records of the shared subset."""
    import wfdb

    root = Path(data_dir)
    index = pd.read_csv(root / "subset_index.csv")
    index = index[(index["dataset"] == "ptbxl") & (index["fs"] == FS)]
    x = np.stack([wfdb.rdrecord(str(root / p)).p_signal.T for p in index["path"]]).astype(np.float32)
    return x, index["patient_id"].to_numpy()


def known_answer_sets(x: np.ndarray, patients: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """(train, held-out reference, {set name: (n, 12, L)}) from real records split by patient (1/2, 1/4, 1/4)."""
    rng = np.random.default_rng(seed)
    unique = np.unique(patients)
    position = dict(zip(unique, rng.permutation(len(unique)) / len(unique)))
    rank = np.array([position[p] for p in patients])
    train, query, ref = x[rank < 0.5], x[(rank >= 0.5) & (rank < 0.75)], x[rank >= 0.75]
    n = min(len(query), len(train))
    query = query[:n]
    micro = lambda shape: (0.005 * rng.standard_normal(shape)).astype(np.float32)  # noqa: E731
    copies = train[rng.choice(len(train), n, replace=False)]
    sets = {
        "held-out real": query,
        "time-shifted": np.roll(query, int(0.3 * FS), axis=-1),
        "scaled x2": query * 2.0,
        "noise": noise_ceiling(train, n, rng),
        "flat": np.full_like(query, 0.01),
        "copies": copies + micro(copies.shape),
        "shifted copies": np.roll(copies, int(0.25 * FS), axis=-1) + micro(copies.shape),
    }
    return train, ref, sets


def run_suite(train: np.ndarray, heldout: np.ndarray, sets: dict[str, np.ndarray], seed: int,
              cfg: FidelityConfig | None = None) -> pd.DataFrame:
    """One row per set: the headline distribution metrics and the privacy columns (see module docstring)."""
    cfg = cfg or FidelityConfig(kid_subsets=10, kid_subset_size=100, min_class_samples=5, sw_projections=64)
    rc = RandomConvFeatures(RandomConvConfig(n_kernels=16, dilations=(1, 2, 4, 8, 16)), seed).fit(train, np.random.default_rng(seed))
    f_train, f_held = rc.transform(train), rc.transform(heldout)
    ref = space_reference(f_train, f_held, rc.transform(sets["noise"]), cfg, seed, "suite", "randconv")
    index = memorisation.RecordIndex(train, FS, cfg.memo)
    zeros = lambda a: np.zeros(len(a), dtype=np.int64)  # noqa: E731
    rows = []
    for name, x in sets.items():
        row = {"set": name}
        row.update({f"randconv_{k}": v for k, v in feature_metrics(f_train, rc.transform(x), ref, cfg, seed, name).items()})
        row.update(signal_metrics(train, x, FS))
        mem, _ = memorisation.memorisation_summary(index, x, zeros(x), heldout, zeros(train), ("SR",), np.random.default_rng(seed), 5)
        mia, _ = memorisation.membership_audit(memorisation.RecordIndex(x, FS, cfg.memo), train, zeros(train), heldout,
                                               zeros(heldout), ("SR",), np.random.default_rng(seed), 5)
        rows.append({**row, **mem, **mia})
    out = pd.DataFrame(rows).set_index("set")
    out.attrs["sanity_c2st"] = ref.sanity_c2st
    return out


def ranking_checks(scores: pd.DataFrame) -> dict[str, bool]:
    """Each claim the suite makes, by name -> whether it holds."""
    checks = {}
    for key, title in HEADLINE:
        s = scores[key]
        checks[f"{title}: held-out < scaled x2 < noise"] = bool(s["held-out real"] < s["scaled x2"] < s["noise"])
    frac = scores["near_copy_fraction"]
    for name in ("copies", "shifted copies"):
        checks[f"memorisation flags {name}"] = bool(frac[name] > 0.9)
        checks[f"attack flags {name}"] = bool(scores.loc[name, "mia_auc_ci_low"] > 0.5)
    for name in ("held-out real", "time-shifted", "scaled x2", "noise"):
        checks[f"no copies in {name}"] = bool(frac[name] <= 0.05)
    checks["flat is degenerate, not copies"] = bool(scores.loc["flat", "degenerate_fraction"] == 1.0
                                                    and not scores.loc["flat", "near_copies"] > 0)
    checks["attack sees no signal in held-out real"] = bool(scores.loc["held-out real", "mia_auc_ci_low"] <= 0.5)
    return checks


def ranking_table(scores: pd.DataFrame) -> str:
    """Markdown: sets as rows, headline and privacy metrics as columns (docs/fidelity.md)."""
    cols = [*HEADLINE, *SIDE, *PRIVACY]
    header = "| set | " + " | ".join(t for _, t in cols) + " |"
    lines = [header, "|" + " --- |" * (len(cols) + 1)]
    for name, row in scores.iterrows():
        cells = []
        for key, _ in cols:
            v = row.get(key, np.nan)
            cells.append("–" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.3g}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(data_dir: str, out: str, seed: int = 0) -> None:
    x, patients = load_ptbxl_subset(data_dir)
    train, heldout, sets = known_answer_sets(x, patients, seed)
    scores = run_suite(train, heldout, sets, seed)
    checks = ranking_checks(scores)
    text = ranking_table(scores) + f"\n\nrandconv sanity C2ST (real vs noise): {scores.attrs['sanity_c2st']:.3f}\n\n"
    text += "\n".join(f"- {'pass' if ok else 'FAIL'}: {name}" for name, ok in checks.items()) + "\n"
    Path(out).write_text(text)
    print(text)


if __name__ == "__main__":
    main(*sys.argv[1:3])

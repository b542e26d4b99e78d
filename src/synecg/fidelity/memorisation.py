"""Memorisation and membership inference: did the generator copy (or leak) its training records?

Similarity of two records is the **shift-tolerant cosine similarity of per-lead standardised
signals**: every lead is set to zero mean and unit standard deviation (so a copy rescaled, offset
or with a different gain still matches, and a lead's amplitude does not dominate), then

    sim(a, b) = max over lags |s| <= max_lag of  sum_leads sum_t a_l(t) b_l(t + s) / sqrt(|a|^2 |b|^2)

with one lag shared by all leads (a shifted copy shifts every lead alike). sim = 1 for an exact
copy, about 1 - |s| / L for a copy shifted by s samples, and far lower for a different record of
the same rhythm. Distance to the closest record (DCR) is 1 - max sim.

An exact search over every (query, training record) pair at every lag costs O(N M L log L), far
too much at 20k x 17k, so the search has two stages: the magnitude spectrum of the standardised
leads is invariant to (circular) shifts, so the ``candidates`` training records with the most
similar spectra are found with one chunked matrix product, and the exact shift-tolerant similarity
is computed on those candidates only. A copy (shifted or not) has the copy's spectrum and is
always among its candidates (tested).

Degenerate records (non-finite values, mostly flat leads, clipped leads) are detected first and
reported separately; they are never counted as copies (a flat trace is close to every other flat
trace, not to a training ECG).

Membership inference (after "The DCR Delusion", arXiv 2505.01524, which shows DCR alone misses
leakage that such an attack finds): the attacker scores each real record by its similarity to the
closest bank record; members are generator training records, non-members held-out real records of
the same number. Attack AUC 0.5 = no signal; above 0.5, training records sit closer to the bank
than new records do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import rankdata

FLAT_MV = 0.02  # a lead whose peak-to-peak is below 20 µV carries no ECG
BAND_HZ = (0.5, 40.0)


@dataclass
class MemorisationConfig:
    max_lag_s: float = 0.5  # shift tolerance of the similarity
    candidates: int = 10  # spectral pre-filter: exact similarity on this many nearest training records
    near_copy_quantile: float = 0.01  # near copy: more similar than all but this share of held-out records
    flat_leads: int = 6  # degenerate when at least this many leads are flat
    clipped_fraction: float = 0.05  # a lead is clipped when this share of samples sits at its extreme
    rare_class_train_max: int = 100  # classes with fewer training records are flagged rare
    mia_max_per_set: int = 2000  # members and non-members of the attack, each
    bootstrap: int = 200  # resamples of the attack AUC interval
    batch: int = 64


def degenerate_reasons(x: np.ndarray, cfg: MemorisationConfig, batch: int = 1024) -> np.ndarray:
    """(N,) str array: '' for a usable record, else 'nan', 'flat' or 'clipped' (first that applies)."""
    out = np.full(len(x), "", dtype=object)
    for start in range(0, len(x), batch):
        xb = np.asarray(x[start : start + batch], dtype=np.float64)
        finite = np.isfinite(xb).all(axis=(1, 2))
        xb = np.where(np.isfinite(xb), xb, 0.0)
        hi, lo = xb.max(-1, keepdims=True), xb.min(-1, keepdims=True)
        flat = (hi - lo)[..., 0] < FLAT_MV  # (B, 12)
        at_edge = np.maximum((np.abs(xb - hi) < 1e-6).mean(-1), (np.abs(xb - lo) < 1e-6).mean(-1))
        clipped = ((at_edge >= cfg.clipped_fraction) & ~flat).any(1)
        reason = np.where(~finite, "nan", np.where(flat.sum(1) >= cfg.flat_leads, "flat", np.where(clipped, "clipped", "")))
        out[start : start + len(xb)] = reason
    return out.astype(str)


def standardise(x: np.ndarray) -> np.ndarray:
    """(N, 12, L) -> per-lead zero-mean, unit-std float32; flat or non-finite leads become zeros."""
    xb = np.asarray(x, dtype=np.float64)
    xb = np.where(np.isfinite(xb), xb, 0.0)
    xb = xb - xb.mean(-1, keepdims=True)
    sd = xb.std(-1, keepdims=True)
    flat = (xb.max(-1, keepdims=True) - xb.min(-1, keepdims=True)) < FLAT_MV
    return np.where(flat, 0.0, xb / np.where(sd > 0, sd, 1.0)).astype(np.float32)


def spectral_keys(x: np.ndarray, fs: float, batch: int = 1024) -> np.ndarray:
    """Shift-invariant pre-filter vectors: |FFT| of the standardised leads over 0.5-40 Hz, bins paired,
    unit norm per record. (N, 12 * F) float32."""
    length = x.shape[-1]
    freqs = np.fft.rfftfreq(length, 1.0 / fs)
    band = np.flatnonzero((freqs >= BAND_HZ[0]) & (freqs <= min(BAND_HZ[1], freqs[-1])))
    band = band[: len(band) // 2 * 2]
    parts = []
    for start in range(0, len(x), batch):
        mag = np.abs(np.fft.rfft(standardise(x[start : start + batch]), axis=-1))[..., band]
        mag = mag.reshape(*mag.shape[:2], -1, 2).mean(-1).reshape(len(mag), -1)
        norm = np.linalg.norm(mag, axis=1, keepdims=True)
        parts.append((mag / np.where(norm > 0, norm, 1.0)).astype(np.float32))
    return np.concatenate(parts) if parts else np.empty((0, 0), dtype=np.float32)


def _top_candidates(q_keys: np.ndarray, ref_keys: np.ndarray, k: int, chunk: int = 2048) -> np.ndarray:
    """(Nq, k) indices of the reference rows with the most similar spectra (cosine), chunked."""
    ref = torch.as_tensor(ref_keys)
    k = min(k, len(ref_keys))
    out = np.empty((len(q_keys), k), dtype=np.int64)
    for start in range(0, len(q_keys), chunk):
        s = torch.as_tensor(q_keys[start : start + chunk]) @ ref.T
        out[start : start + len(s)] = s.topk(k, dim=1).indices.numpy()
    return out


def lagged_similarity(a: np.ndarray, b: np.ndarray, max_lag: int) -> np.ndarray:
    """Shift-tolerant cosine similarity of standardised records a (B, 12, L) and b (B, K, 12, L) -> (B, K).

    Linear (zero-padded) cross-correlation by FFT, summed over leads, max over |lag| <= max_lag.
    """
    length = a.shape[-1]
    n_fft = 1 << int(np.ceil(np.log2(2 * length)))
    ta, tb = torch.as_tensor(a), torch.as_tensor(b)
    fa = torch.fft.rfft(ta, n_fft)[:, None]  # (B, 1, 12, F)
    fb = torch.fft.rfft(tb, n_fft)
    corr = torch.fft.irfft((fa.conj() * fb).sum(2), n_fft)  # (B, K, n_fft): lag s at index s mod n_fft
    lags = torch.cat([corr[..., : max_lag + 1], corr[..., n_fft - max_lag :]], dim=-1)
    na = (ta * ta).sum((1, 2)).sqrt()[:, None]
    nb = (tb * tb).sum((2, 3)).sqrt()
    denom = na * nb
    sim = lags.max(-1).values / torch.where(denom > 0, denom, torch.ones_like(denom))
    return torch.where(denom > 0, sim, torch.zeros_like(sim)).numpy()


class RecordIndex:
    """Training (or bank) records prepared for nearest-record search by shift-tolerant similarity."""

    def __init__(self, x: np.ndarray, fs: float, cfg: MemorisationConfig):
        self.x, self.fs, self.cfg = x, fs, cfg
        self.keys = spectral_keys(x, fs)
        self.max_lag = int(round(cfg.max_lag_s * fs))

    def nearest(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(best, second) similarity of each query record to its two most similar indexed records."""
        if len(query) == 0 or len(self.x) == 0:
            return np.empty(0), np.empty(0)
        cand = _top_candidates(spectral_keys(query, self.fs), self.keys, self.cfg.candidates)
        best, second = np.empty(len(query)), np.empty(len(query))
        for start in range(0, len(query), self.cfg.batch):
            rows = slice(start, start + self.cfg.batch)
            c = cand[rows]
            order = np.unique(c)  # read each reference record once per batch (memory maps stay cheap)
            ref = standardise(self.x[order])[np.searchsorted(order, c)]
            sim = np.sort(lagged_similarity(standardise(query[rows]), ref, self.max_lag), axis=1)
            best[rows] = sim[:, -1]
            second[rows] = sim[:, -2] if sim.shape[1] > 1 else np.nan
        return best, second


def _sample(n: int, size: int, rng: np.random.Generator) -> np.ndarray:
    return np.sort(rng.choice(n, size, replace=False)) if size < n else np.arange(n)


def memorisation_summary(
    train: RecordIndex, query_x: np.ndarray, query_y: np.ndarray, heldout_x: np.ndarray,
    train_y: np.ndarray, classes: tuple[str, ...], rng: np.random.Generator, min_class: int,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Overall and per-class memorisation of a query set (bank) against the training records.

    The reference is ``min(n_query, n_heldout)`` held-out real records (subsampled to the query
    set's size). Degenerate query records are counted apart and left out of every copy statistic.
    """
    cfg = train.cfg
    reasons = degenerate_reasons(query_x, cfg)
    ok = np.flatnonzero(reasons == "")
    overall: dict[str, float] = {
        "degenerate": int(len(reasons) - len(ok)),
        "degenerate_fraction": float((reasons != "").mean()) if len(reasons) else float("nan"),
        **{f"degenerate_{r}": int((reasons == r).sum()) for r in ("nan", "flat", "clipped")},
    }
    held_ok = np.flatnonzero(degenerate_reasons(heldout_x, cfg) == "")
    if len(ok) == 0 or len(held_ok) < 2:
        return overall, {}
    held_rows = held_ok[_sample(len(held_ok), min(len(ok), len(held_ok)), rng)]
    sim_h, _ = train.nearest(np.asarray(heldout_x[held_rows]))
    sim_q, second_q = np.full(len(query_x), np.nan), np.full(len(query_x), np.nan)
    sim_q[ok], second_q[ok] = train.nearest(np.asarray(query_x[ok]))
    threshold = float(np.quantile(sim_h, 1.0 - cfg.near_copy_quantile))
    dcr_q, dcr_h = 1.0 - sim_q[ok], 1.0 - sim_h
    copies = sim_q > threshold
    overall.update({
        "n_heldout_reference": int(len(held_rows)),
        "dcr_median": float(np.median(dcr_q)),
        "dcr_median_real_heldout": float(np.median(dcr_h)),
        "dcr_ratio": float(np.median(dcr_q) / np.median(dcr_h)) if np.median(dcr_h) > 0 else float("nan"),
        "nndr_median": float(np.median(dcr_q / np.maximum(1.0 - second_q[ok], 1e-12))),
        "near_copy_threshold": threshold,
        "near_copies": int(copies.sum()),
        "near_copy_fraction": float(copies[ok].mean()),
        "near_copy_excess": float(copies[ok].mean() - cfg.near_copy_quantile),
    })
    per_class: dict[str, dict[str, float]] = {}
    for ci, c in enumerate(classes):
        m = query_y == ci
        mo = m[ok]
        if not m.any():
            continue
        n_train = int((train_y == ci).sum())
        entry = {"degenerate": int((reasons[m] != "").sum()), "train_records": n_train,
                 "rare_class": int(n_train < cfg.rare_class_train_max)}
        if mo.sum() >= 1:
            entry.update({"dcr_median": float(np.median(dcr_q[mo])), "near_copies": int(copies[m].sum()),
                          "near_copy_fraction": float(copies[ok][mo].mean())})
        per_class[c] = entry
    return overall, per_class


def _auc(members: np.ndarray, nonmembers: np.ndarray) -> np.ndarray:
    """Rank (Mann-Whitney) AUC of members (..., n) over non-members (..., m), ties counted half."""
    both = np.concatenate([members, nonmembers], axis=-1)
    ranks = rankdata(both, axis=-1)
    n, m = members.shape[-1], nonmembers.shape[-1]
    return (ranks[..., :n].sum(-1) - n * (n + 1) / 2) / (n * m)


def _auc_interval(members: np.ndarray, nonmembers: np.ndarray, rng: np.random.Generator, resamples: int) -> tuple[float, float, float]:
    """AUC and its 95 % percentile-bootstrap interval (members and non-members resampled separately)."""
    auc = float(_auc(members, nonmembers))
    if resamples < 1:
        return auc, float("nan"), float("nan")
    a = members[rng.integers(len(members), size=(resamples, len(members)))]
    b = nonmembers[rng.integers(len(nonmembers), size=(resamples, len(nonmembers)))]
    low, high = np.quantile(_auc(a, b), [0.025, 0.975])
    return auc, float(low), float(high)


def membership_audit(
    bank: RecordIndex, train_x: np.ndarray, train_y: np.ndarray, heldout_x: np.ndarray, heldout_y: np.ndarray,
    classes: tuple[str, ...], rng: np.random.Generator, min_class: int,
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Distance-based membership inference: AUC (95 % bootstrap interval) of telling training records
    from held-out records by their similarity to the closest bank record; overall and per class."""
    cfg = bank.cfg
    if len(bank.x) == 0:
        return {}, {}
    n = min(len(train_x), len(heldout_x), cfg.mia_max_per_set)
    if n < min_class:
        return {}, {}
    mem = _sample(len(train_x), n, rng)
    non = _sample(len(heldout_x), n, rng)
    s_mem, _ = bank.nearest(np.asarray(train_x[mem]))
    s_non, _ = bank.nearest(np.asarray(heldout_x[non]))
    auc, low, high = _auc_interval(s_mem, s_non, rng, cfg.bootstrap)
    overall = {"mia_auc": auc, "mia_auc_ci_low": low, "mia_auc_ci_high": high, "mia_n": int(n)}
    per_class = {}
    ym, yn = train_y[mem], heldout_y[non]
    for ci, c in enumerate(classes):
        a, b = s_mem[ym == ci], s_non[yn == ci]
        if len(a) >= min_class and len(b) >= min_class:
            auc, low, high = _auc_interval(a, b, rng, cfg.bootstrap)
            per_class[c] = {"mia_auc": auc, "mia_auc_ci_low": low, "mia_auc_ci_high": high}
    return overall, per_class

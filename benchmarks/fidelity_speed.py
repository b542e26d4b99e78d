"""Time and peak memory of the fidelity stage for an N-record bank against an M-record training split.

The paper-scale case is a 20k-sample bank vs a 17k-record PTB-XL training split (12 x 1000 at
100 Hz). Signals come from the project's fixture simulator (ECG-like beat trains); the frozen
classifier is an untrained paper-preset ResidualCNN (feature extraction costs the same trained or
not). Stages timed as in the rules: embedding (classifier features, random-convolution features,
physiology subsample) of both sets, then ``score_set`` (every metric). Peak RSS is read from
/proc after each stage, so a full N x M distance matrix (20k x 17k x 8 B = 2.7 GB) would show.

Run:  PYTHONPATH=src python benchmarks/fidelity_speed.py --fraction 0.25 [--config config/paper.yaml]
--fraction scales both sizes (1.0 = the full 20k vs 17k). Prints one table.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fidelity_fixtures import simulate  # noqa: E402

from synecg.classify.model import ClassifierConfig, ResidualCNN  # noqa: E402
from synecg.classify.train import LeadNormaliser  # noqa: E402
from synecg.fidelity.embed import SPACES, embed_set, noise_ceiling, physiology_of, random_conv  # noqa: E402
from synecg.fidelity.memorisation import RecordIndex  # noqa: E402
from synecg.fidelity.score import FidelityConfig, score_set, space_reference  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fraction", type=float, default=0.25)
    ap.add_argument("--bank", type=int, default=20_000)
    ap.add_argument("--train", type=int, default=17_000)
    ap.add_argument("--config", default="config/paper.yaml")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--knn-queries", type=int, default=0,
                    help="also time the full-size nearest-neighbour passes: this many query rows against the full --train rows")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    section = yaml.safe_load(Path(args.config).read_text())["fidelity"]
    cfg = FidelityConfig.from_config(section)
    n_bank, n_train = int(args.bank * args.fraction), int(args.train * args.fraction)
    n_val = max(n_train // 8, 50)
    rng = np.random.default_rng(0)
    rows = []

    def stage(name, fn):
        t = time.perf_counter()
        out = fn()
        rows.append((name, time.perf_counter() - t, peak_rss_mb()))
        return out

    def make(n, noise, gain):
        y = rng.integers(0, 7, n)
        return simulate(y, 1000, rng, noise=noise, gain=gain), y

    (x_train, y_train), (x_val, y_val), (x_bank, y_bank) = stage(
        "simulate inputs", lambda: (make(n_train, 0.02, 1.0), make(n_val, 0.02, 1.0), make(n_bank, 0.05, 1.2))
    )
    model = ResidualCNN(ClassifierConfig(blocks=5, kernels=16, fc_layers=3, fc_units=256)).eval()
    norm = LeadNormaliser().fit(x_train[:512])
    rc = stage("fit random convolutions", lambda: random_conv(section["randconv"], 0, x_train, "bench"))
    per_class = section["physiology_max_per_class"]
    train = stage("embed real train", lambda: embed_set(x_train, y_train, model, norm, rc, 100, "cpu", rng, per_class))
    val = stage("embed real val", lambda: embed_set(x_val, y_val, model, norm, rc, 100, "cpu", rng, per_class))
    x_noise = noise_ceiling(x_train, min(n_bank, 7 * 3072), rng)
    noise = stage("embed noise ceiling", lambda: embed_set(x_noise, rng.integers(0, 7, len(x_noise)), model, norm, rc, 100, "cpu", rng, per_class))
    fake = stage("embed bank", lambda: embed_set(x_bank, y_bank, model, norm, rc, 100, "cpu", rng, per_class))
    refs = stage("space references (bandwidth, sanity C2ST)", lambda: {
        s: space_reference(train[s], val[s], noise[s], cfg, 0, "bench", s) for s in SPACES})
    index = stage("memorisation index of train", lambda: RecordIndex(x_train, 100, cfg.memo))
    stage("score_set (all metrics)", lambda: score_set(
        real_x=x_train, real_y=y_train, heldout_x=x_val, heldout_y=y_val, fake_x=x_bank, fake_y=y_bank,
        real_features={s: train[s] for s in SPACES}, references=refs, fake_features={s: fake[s] for s in SPACES},
        fake_predicted=fake["predicted"], real_physiology=physiology_of(train), fake_physiology=physiology_of(fake),
        fs=100, cfg=cfg, seed=0, name="bench", train_index=index,
    ))
    if args.knn_queries:
        from synecg.fidelity.distances import knn_distances

        q = args.knn_queries
        dims = {"features (768)": 768}
        for label, dim in dims.items():
            ref = rng.standard_normal((args.train, dim)).astype(np.float32)
            query = rng.standard_normal((q, dim)).astype(np.float32)
            t = time.perf_counter()
            knn_distances(query, ref, k=5, chunk=1024)
            sec = time.perf_counter() - t
            rows.append((f"kNN {q} x {args.train} {label}", sec, peak_rss_mb()))
            rows.append((f"  -> scaled to {args.bank} queries", sec * args.bank / q, float("nan")))
            del ref, query
        # Memorisation at full size: spectral pre-filter + exact lag search of q bank records vs the full train.
        x_full = make(args.train, 0.02, 1.0)[0]
        t = time.perf_counter()
        full = RecordIndex(x_full, 100, cfg.memo)
        build = time.perf_counter() - t
        t = time.perf_counter()
        full.nearest(x_bank[:q])
        sec = time.perf_counter() - t
        rows.append((f"memorisation index {args.train}", build, peak_rss_mb()))
        rows.append((f"memorisation {q} x {args.train}", sec, peak_rss_mb()))
        rows.append((f"  -> scaled to {args.bank} queries", sec * args.bank / q, float("nan")))
    inputs_mb = (x_train.nbytes + x_val.nbytes + x_bank.nbytes) / 2**20
    print(f"fidelity stage, bank {n_bank} vs train {n_train} (val {n_val}), 12 x 1000, {args.threads} threads, config {args.config}")
    print(f"signal arrays held in RAM: {inputs_mb:.0f} MB; a full bank x train float64 distance matrix would be {n_bank * n_train * 8 / 2**20:.0f} MB")
    print(f"{'stage':32s} {'seconds':>9s} {'peak RSS MB':>12s}")
    for name, sec, rss in rows:
        print(f"{name:32s} {sec:9.1f} {rss:12.0f}")
    total = sum(sec for name, sec, _ in rows if name != "simulate inputs")
    print(f"{'total (without simulation)':32s} {total:9.1f}")


if __name__ == "__main__":
    main()

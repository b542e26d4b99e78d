"""Time and peak memory of the fidelity stage for an N-record bank against an M-record training split.

The paper-scale case is a 20k-sample bank vs a 17k-record PTB-XL training split (12 x 1000 at
100 Hz). Signals come from the project's fixture simulator (ECG-like beat trains); the frozen
classifier is an untrained paper-preset ResidualCNN (feature extraction costs the same trained or
not). Stages timed as in the rules: embedding (classifier features, random-convolution features,
physiology subsample) of both sets, then ``score_set`` (every metric), or with ``--families`` each metric family
on its own (overall and per class, as ``score_set`` runs it). Peak RSS is that stage's own high-water mark
(reset through /proc/self/clear_refs before each stage), so a full N x M distance matrix (20k x 17k x 8 B =
2.7 GB) would show.

Run:  PYTHONPATH=src python benchmarks/fidelity_speed.py --fraction 0.25 [--families] [--config config/paper.yaml]
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


def reset_peak_rss() -> None:
    """Reset the process's peak RSS (VmHWM) so the next reading is one stage's own peak (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def score_families(stage, train, fake, refs, index, x_train, y_train, x_val, y_val, x_bank, y_bank, cfg) -> None:
    """The metric families of ``score_set``, one stage each, overall and per class (the calls it makes)."""
    from synecg.constants import CLASSES
    from synecg.fidelity import c2st as c2st_mod
    from synecg.fidelity import distances, memorisation, physiology
    from synecg.fidelity.score import signal_metrics
    from synecg.seeding import numpy_rng

    def per_set(fn):
        """fn on the whole sets, then on each class with enough records (score_set's per-class rows)."""
        def run():
            for s in SPACES:
                fn(train[s], fake[s], refs[s], s, "all")
                for c in range(len(CLASSES)):
                    r, f = train[s][train["label"] == c], fake[s][fake["label"] == c]
                    if len(r) >= cfg.min_class_samples and len(f) >= cfg.min_class_samples:
                        fn(r, f, refs[s], s, c)
        return run

    def moments(r, f, ref, *names):  # FID, KID, RBF-MMD and sliced Wasserstein: O(N F^2) or capped
        distances.frechet_distance(r, f)
        distances.kernel_inception_distance(r, f, numpy_rng(0, "kid", *names), cfg.kid_subsets, cfg.kid_subset_size)
        rng = numpy_rng(0, "mmd", *names)
        distances.mmd_rbf(r[rng.choice(len(r), min(len(r), cfg.mmd_max_samples), replace=False)],
                          f[rng.choice(len(f), min(len(f), cfg.mmd_max_samples), replace=False)], ref.bandwidth)
        distances.sliced_wasserstein((r - ref.mean) / ref.std, (f - ref.mean) / ref.std, numpy_rng(0, "sw", *names),
                                     cfg.sw_projections, cfg.sw_max_samples)

    stage("FID, KID, MMD, SW (2 spaces)", per_set(moments))
    stage("PRDC (2 spaces)", per_set(lambda r, f, ref, *n: distances.prdc(r, f, k=cfg.nearest_k)))
    stage("C2ST 5-fold HGB (2 spaces)", per_set(lambda r, f, ref, *n: c2st_mod.c2st(
        r, f, numpy_rng(0, "c2st", *n), cfg.c2st_max_per_set, cfg.min_class_samples, cfg.c2st_folds)))

    def signals():
        signal_metrics(x_train, x_bank, 100)
        for c in range(len(CLASSES)):
            if (y_train == c).sum() >= cfg.min_class_samples and (y_bank == c).sum() >= cfg.min_class_samples:
                signal_metrics(x_train[y_train == c], x_bank[y_bank == c], 100)

    stage("signal: PSD, lead correlation, limb", signals)

    def physio():
        real_p, fake_p = physiology_of(train), physiology_of(fake)
        physiology.compare_measures(real_p, fake_p)
        for c in range(len(CLASSES)):
            mr, mf = real_p["label"] == c, fake_p["label"] == c
            if mr.any() and mf.any():
                physiology.compare_measures(real_p, fake_p, mr, mf)

    stage("physiology comparison", physio)
    stage("memorisation (DCR, copies, degeneracy)", lambda: memorisation.memorisation_summary(
        index, x_bank, y_bank, x_val, y_train, CLASSES, numpy_rng(0, "memorisation"), cfg.min_class_samples))
    stage("membership inference (index of bank)", lambda: memorisation.membership_audit(
        memorisation.RecordIndex(x_bank, 100, cfg.memo), x_train, y_train, x_val, y_val, CLASSES,
        numpy_rng(0, "mia"), cfg.min_class_samples))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fraction", type=float, default=0.25)
    ap.add_argument("--bank", type=int, default=20_000)
    ap.add_argument("--train", type=int, default=17_000)
    ap.add_argument("--config", default="config/paper.yaml")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--families", action="store_true", help="time each metric family instead of score_set as a whole")
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
        reset_peak_rss()
        t, cpu = time.perf_counter(), time.process_time()
        out = fn()
        rows.append((name, time.perf_counter() - t, time.process_time() - cpu, peak_rss_mb()))
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
    if args.families:
        score_families(stage, train, fake, refs, index, x_train, y_train, x_val, y_val, x_bank, y_bank, cfg)
    else:
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
            rows.append((f"kNN {q} x {args.train} {label}", sec, float("nan"), peak_rss_mb()))
            rows.append((f"  -> scaled to {args.bank} queries", sec * args.bank / q, float("nan"), float("nan")))
            del ref, query
        # Memorisation at full size: spectral pre-filter + exact lag search of q bank records vs the full train.
        x_full = make(args.train, 0.02, 1.0)[0]
        t = time.perf_counter()
        full = RecordIndex(x_full, 100, cfg.memo)
        build = time.perf_counter() - t
        t = time.perf_counter()
        full.nearest(x_bank[:q])
        sec = time.perf_counter() - t
        rows.append((f"memorisation index {args.train}", build, float("nan"), peak_rss_mb()))
        rows.append((f"memorisation {q} x {args.train}", sec, float("nan"), peak_rss_mb()))
        rows.append((f"  -> scaled to {args.bank} queries", sec * args.bank / q, float("nan"), float("nan")))
    inputs_mb = (x_train.nbytes + x_val.nbytes + x_bank.nbytes) / 2**20
    print(f"fidelity stage, bank {n_bank} vs train {n_train} (val {n_val}), 12 x 1000, {args.threads} threads, config {args.config}")
    print(f"signal arrays held in RAM: {inputs_mb:.0f} MB; a full bank x train float64 distance matrix would be {n_bank * n_train * 8 / 2**20:.0f} MB")
    # CPU seconds (this process, all threads) hardly depend on what else runs; wall seconds do.
    print(f"| stage | wall s | CPU s | peak RSS MB |\n| --- | --- | --- | --- |")
    for name, sec, cpu, rss in rows:
        print(f"| {name} | {sec:.1f} | {cpu:.1f} | {rss:.0f} |")
    total = [sum(r[i] for r in rows if r[0] != "simulate inputs" and r[i] == r[i]) for i in (1, 2)]
    print(f"| total (without simulation) | {total[0]:.1f} | {total[1]:.1f} | |")


if __name__ == "__main__":
    main()

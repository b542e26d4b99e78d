"""CPU time of one PTB-XL-sized classifier run (21,799 x 12 x 1000 synthetic stand-in, 80/10/10).

A full run does not fit a short CPU benchmark, so this times `--batches` training steps and one
pass over the validation set with the paper's presets, and extrapolates to one epoch and to a run
of `--epochs` epochs (early stopping decides the real number; 30 is an assumption, say so).

Usage: PYTHONPATH=src python benchmarks/classifier_speed.py [--threads 2] [--batches 40] [--epochs 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from torch import nn

from synecg.classify.model import ClassifierConfig, ResidualCNN
from synecg.classify.train import LeadNormaliser, predict_proba

PRESETS = {
    "ptbxl (6 blocks, K 32)": ClassifierConfig(blocks=6, kernels=32, kernel_size=7, dilation=5, fc_layers=3, fc_units=256, dropout=0.4743),
    "chapman (5 blocks, K 16)": ClassifierConfig(blocks=5, kernels=16, kernel_size=7, dilation=5, fc_layers=3, fc_units=256, dropout=0.3776),
}
N_RECORDS = 21_799
N_TRAIN, N_VAL = int(0.8 * N_RECORDS), int(0.1 * N_RECORDS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    x_batches = rng.standard_normal((args.batches * args.batch_size, 12, 1000)).astype(np.float32)
    x_val = rng.standard_normal((N_VAL, 12, 1000)).astype(np.float32)
    norm = LeadNormaliser().fit(x_batches)
    rows = []
    for name, cfg in PRESETS.items():
        torch.manual_seed(0)
        model = ResidualCNN(cfg)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        xb_all = torch.from_numpy(norm(x_batches))
        yb_all = torch.from_numpy(rng.integers(0, 7, len(x_batches)))
        model.train()
        started, cpu_started = time.perf_counter(), time.process_time()
        for i in range(args.batches):
            sl = slice(i * args.batch_size, (i + 1) * args.batch_size)
            loss = nn.functional.cross_entropy(model(xb_all[sl]), yb_all[sl])
            opt.zero_grad()
            loss.backward()
            opt.step()
        per_batch = (time.perf_counter() - started) / args.batches
        cpu_per_batch = (time.process_time() - cpu_started) / args.batches
        started = time.perf_counter()
        predict_proba(model, norm, x_val, batch_size=256)
        val_pass = time.perf_counter() - started
        epoch = per_batch * np.ceil(N_TRAIN / args.batch_size) + val_pass
        rows.append((name, sum(p.numel() for p in model.parameters()), per_batch * 1e3, cpu_per_batch * 1e3, args.batch_size / per_batch, val_pass, epoch, epoch * args.epochs / 3600))
    print(f"CPU, {args.threads} threads, torch {torch.__version__}; train {N_TRAIN}, val {N_VAL} signals of 12 x 1000; "
          f"{args.batches} timed batches of {args.batch_size}, extrapolated; cpu ms/b = CPU time of all threads per batch")
    print(f"{'preset':<26} {'params':>8} {'ms/batch':>9} {'cpu ms/b':>9} {'train sig/s':>12} {'val pass s':>11} {'epoch s':>8} {f'{args.epochs} epochs h':>11}")
    for name, params, ms, cpu_ms, sps, val_s, epoch_s, run_h in rows:
        print(f"{name:<26} {params:>8} {ms:>9.1f} {cpu_ms:>9.1f} {sps:>12.0f} {val_s:>11.1f} {epoch_s:>8.0f} {run_h:>11.2f}")


if __name__ == "__main__":
    main()

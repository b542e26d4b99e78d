"""GPU smoke test and throughput of the classifier: a PTB-XL-sized run (21,799 x 12 x 1000
stand-in signals, 80/10/10) with the paper's presets, data resident on the device, bf16 autocast;
then the same model scored in fp32 to show bf16 does not change its predictions.

Usage: python benchmarks/gpu_classifier.py [--epochs 3]          (CUDA, run by benchmarks/gpu.sh)
       python benchmarks/gpu_classifier.py --device cpu --tiny   (a quick check anywhere)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from synecg.classify.metrics import classification_metrics
from synecg.classify.model import ClassifierConfig
from synecg.classify.train import TrainConfig, predict_proba, train_classifier

PRESETS = {
    "ptbxl": (ClassifierConfig(blocks=6, kernels=32, kernel_size=7, dilation=5, fc_layers=3, fc_units=256, dropout=0.4743), 3.2339e-4),
    "chapman": (ClassifierConfig(blocks=5, kernels=16, kernel_size=7, dilation=5, fc_layers=3, fc_units=256, dropout=0.3776), 1.5844e-4),
}
TINY = {"tiny": (ClassifierConfig(blocks=2, kernels=4, kernel_size=5, fc_layers=1, fc_units=16), 3e-3)}


def stand_in(n: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class c = a (1 + c) Hz sinusoid at 100 Hz with a random phase per lead, plus noise (float32)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 7, n)
    t = (np.arange(length, dtype=np.float32) / 100.0)[None, None, :]
    x = np.empty((n, 12, length), dtype=np.float32)
    for start in range(0, n, 2048):
        yy = y[start : start + 2048, None, None].astype(np.float32)
        phase = rng.uniform(0, 2 * np.pi, size=(len(yy), 12, 1)).astype(np.float32)
        x[start : start + 2048] = np.sin(2 * np.pi * (1 + yy) * t + phase) + 0.5 * rng.standard_normal((len(yy), 12, length), dtype=np.float32)
    return x, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="512 records, 1 epoch, a tiny network")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    device = torch.device(args.device)
    n, epochs, presets = (512, 1, TINY) if args.tiny else (21_799, args.epochs, PRESETS)
    n_train, n_val = int(0.8 * n), int(0.1 * n)
    x, y = stand_in(n, 1000, 0)
    xt, yt, xv, yv, xs, ys = x[:n_train], y[:n_train], x[n_train : n_train + n_val], y[n_train : n_train + n_val], x[n_train + n_val :], y[n_train + n_val :]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"classifier on {name}, torch {torch.__version__}: train {len(yt)}, val {len(yv)}, test {len(ys)} of 12 x 1000, "
          f"{epochs} epochs, batch 32, bf16 autocast {'on' if device.type == 'cuda' else 'off (CPU)'}")
    print(f"{'preset':<8} {'s/epoch':>8} {'fp32 s/ep':>9} {'train sig/s':>12} {'test sig/s':>11} {'peak GiB':>9} {'acc bf16':>9} {'acc fp32':>9} {'max|dp|':>8} {'n_test':>7}")
    for preset, (cfg, lr) in presets.items():
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        train_cfg = TrainConfig(lr=lr, max_epochs=epochs, patience=epochs + 1, bf16=True)
        result = train_classifier(xt, yt, xv, yv, cfg, train_cfg, seed=0, device=device)  # includes the first-epoch warm-up
        per_epoch = result.seconds / epochs
        fp32 = train_classifier(xt, yt, xv, yv, cfg, TrainConfig(lr=lr, max_epochs=epochs, patience=epochs + 1, bf16=False), seed=0, device=device)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        started = time.perf_counter()
        p16 = predict_proba(result.model, result.normaliser, xs, device=device, batch_size=256, bf16=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        test_rate = len(xs) / (time.perf_counter() - started)
        p32 = predict_proba(result.model, result.normaliser, xs, device=device, batch_size=256, bf16=False)
        peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")
        m16, m32 = classification_metrics(ys, p16), classification_metrics(ys, p32)
        assert m16["n_test"] == len(ys), "test samples dropped"
        print(f"{preset:<8} {per_epoch:>8.1f} {fp32.seconds / epochs:>9.1f} {len(yt) / per_epoch:>12.0f} {test_rate:>11.0f} {peak:>9.2f} "
              f"{m16['accuracy']:>9.4f} {m32['accuracy']:>9.4f} {np.abs(p16 - p32).max():>8.4f} {m16['n_test']:>7}")


if __name__ == "__main__":
    main()

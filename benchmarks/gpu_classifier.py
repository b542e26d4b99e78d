"""GPU: classifier training throughput of stacked training, signals/s at K = 1, 5, 20, 25 members,
both paper presets, bf16 autocast and fp32.

Each member trains on `--steps` batches of 32 stand-in signals (12 x 1000, class = sinusoid
frequency) with its own seed, data resident on the device, validation 256 signals per epoch.
The rate is taken between a 1-epoch and a 3-epoch run of the same stack (so start-up, data
upload and the first-use warm-up cancel): rate = K * n_train * 2 / (t_3 - t_1) training signals/s,
validation passes included, as in a real run. Peak memory is the 3-epoch run's.

Usage: python benchmarks/gpu_classifier.py [--steps 40] [--ks 1,5,20,25]      (CUDA, run by benchmarks/gpu.sh)
       python benchmarks/gpu_classifier.py --device cpu --tiny               (a quick check anywhere)
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from synecg.classify.model import ClassifierConfig
from synecg.classify.stacked import Member, train_members
from synecg.classify.train import TrainConfig

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
    phase = rng.uniform(0, 2 * np.pi, size=(n, 12, 1)).astype(np.float32)
    x = np.sin(2 * np.pi * (1 + y[:, None, None].astype(np.float32)) * t + phase)
    return (x + 0.5 * rng.standard_normal((n, 12, length), dtype=np.float32)).astype(np.float32), y


def _timed(members, cfg, train_cfg, device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    train_members(members, cfg, train_cfg, device=device, stack=len(members))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="a tiny network, K = 1 and 2, 4 steps")
    parser.add_argument("--steps", type=int, default=40, help="training batches per member and epoch")
    parser.add_argument("--ks", default="1,5,20,25")
    args = parser.parse_args()
    device = torch.device(args.device)
    presets, ks, steps = (TINY, [1, 2], 4) if args.tiny else (PRESETS, [int(k) for k in args.ks.split(",")], args.steps)
    n = steps * 32
    xv, yv = stand_in(256, 1000, 1)
    pool = [stand_in(n, 1000, 10 + k) for k in range(max(ks))]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"stacked classifier training on {name}, torch {torch.__version__}: {n} training signals per member "
          f"({steps} batches of 32), validation 256, 12 x 1000; rate from a 1- and a 3-epoch run")
    print(f"{'preset':<8} {'dtype':<5} {'K':>3} {'s/epoch':>8} {'train sig/s':>12} {'per member':>11} {'vs K=1':>7} {'peak GiB':>9}")
    for preset, (cfg, lr) in presets.items():
        for bf16 in (True, False):
            if bf16 and device.type != "cuda":
                continue  # autocast is CUDA-only in the training loop
            base = None
            for k in ks:
                members = [Member(f"m{i}", [pool[i][0]], pool[i][1], xv, yv, seed=i) for i in range(k)]
                one = _timed(members, cfg, TrainConfig(lr=lr, max_epochs=1, patience=10, bf16=bf16), device)
                if device.type == "cuda":
                    torch.cuda.reset_peak_memory_stats(device)
                three = _timed(members, cfg, TrainConfig(lr=lr, max_epochs=3, patience=10, bf16=bf16), device)
                per_epoch = max(three - one, 1e-9) / 2
                rate = k * n / per_epoch
                base = base or rate
                peak = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else float("nan")
                print(f"{preset:<8} {'bf16' if bf16 else 'fp32':<5} {k:>3} {per_epoch:>8.2f} {rate:>12.0f} {rate / k:>11.0f} "
                      f"{rate / base:>6.1f}x {peak:>9.2f}", flush=True)


if __name__ == "__main__":
    main()

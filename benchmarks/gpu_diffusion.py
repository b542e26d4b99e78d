"""GPU smoke test and throughput of the diffusion generators (sssd, diffwave, timediffusion).

Trains each generator for a few hundred steps through the workflow's own entry point
(``train_diffusion``, bf16 autocast, optional torch.compile) on random 12 x 1000 signals, then samples a
large batch with DDIM; prints training and sampling samples/s. Also times Time-Diffusion in fp32 at
the authors' batch 128 (their precision), the basis of the paper preset's step budget.

Run on CUDA:      PYTHONPATH=src python benchmarks/gpu_diffusion.py
Prove it on CPU:  PYTHONPATH=src python benchmarks/gpu_diffusion.py --device cpu --tiny
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from synecg.generators.diffusion_train import Runtime, TrainSettings, sample_diffusion, train_diffusion

PAPER = {  # preset, batch size (the paper presets of config/paper.yaml)
    "sssd": ("paper", 8),
    "diffwave": ("paper", 16),
    "timediffusion": ("124-r2-a1", 128),
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def measure(name, preset, batch, steps, runtime, sample_batch, ddim_steps, length, fp32=False):
    rng = np.random.default_rng(0)
    x = (0.3 * rng.standard_normal((max(batch * 4, 64), 12, length))).astype(np.float32)
    y = rng.integers(0, 7, len(x))
    rt = Runtime(runtime.device, bf16=runtime.bf16 and not fp32, compile=runtime.compile)
    warm = max(2, steps // 10)
    with tempfile.TemporaryDirectory() as tmp:
        common = dict(preset=preset, batch_size=batch, log_every=10**9, checkpoint_every=10**9, val_every=0)
        # warm-up run (allocator, cuDNN autotune, compile), then the timed run in a fresh folder
        train_diffusion(name, TrainSettings(steps=warm, **common), x, y, None, None, f"{tmp}/w", 0, rt)
        sync(rt.device)
        t0 = time.perf_counter()
        payload = train_diffusion(name, TrainSettings(steps=steps, **common), x, y, None, None, f"{tmp}/t", 0, rt)
        sync(rt.device)
        train_s = time.perf_counter() - t0
    labels = np.arange(sample_batch) % 7
    sample_diffusion(payload, labels[: min(8, sample_batch)], 0, "ddim", 2, sample_batch, rt)  # warm-up
    sync(rt.device)
    t0 = time.perf_counter()
    sample_diffusion(payload, labels, 0, "ddim", ddim_steps, sample_batch, rt)
    sync(rt.device)
    sample_s = time.perf_counter() - t0
    mem = torch.cuda.max_memory_allocated() / 2**30 if rt.device.type == "cuda" else float("nan")
    return {
        "model": f"{name} {preset}" + (" fp32" if fp32 else (" bf16" if rt.autocast else "")),
        "batch": batch,
        "steps/s": steps / train_s,
        "train samples/s": steps * batch / train_s,
        "sample evals/s": sample_batch * ddim_steps / sample_s,
        "samples/s (DDIM)": sample_batch / sample_s,
        "GiB": mem,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny presets and few steps (CPU proof run)")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--sample-batch", type=int, default=512)
    parser.add_argument("--ddim-steps", type=int, default=10)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--only", nargs="*", default=list(PAPER))
    parser.add_argument("--budget-hours", type=float, default=10.5, help="Time-Diffusion: the authors' 12 h minus 1.5 h for sampling")
    args = parser.parse_args()
    device = torch.device(args.device)
    runtime = Runtime(device, bf16=True, compile=args.compile)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        print(torch.__version__, torch.cuda.get_device_name(0))
    rows = []
    for name in args.only:
        preset, batch = ("tiny", 4) if args.tiny else PAPER[name]
        steps = 4 if args.tiny else args.steps
        sample_batch = 8 if args.tiny else args.sample_batch
        rows.append(measure(name, preset, batch, steps, runtime, sample_batch, args.ddim_steps, 1000))
        if name == "timediffusion" and device.type == "cuda":
            rows.append(measure(name, preset, batch, steps, runtime, sample_batch, args.ddim_steps, 1000, fp32=True))
        print(rows[-1], flush=True)
    keys = list(rows[0])
    print(" | ".join(f"{k:>16}" for k in keys))
    for r in rows:
        print(" | ".join(f"{r[k]:>16.4g}" if isinstance(r[k], float) else f"{r[k]:>16}" for k in keys))
    for r in rows:
        if r["model"].endswith("fp32"):
            print(f"Time-Diffusion fp32 batch {r['batch']}: {r['steps/s']:.1f} steps/s -> "
                  f"{r['steps/s'] * 3600 * args.budget_hours:,.0f} steps in {args.budget_hours} h")


if __name__ == "__main__":
    main()

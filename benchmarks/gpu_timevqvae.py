"""TimeVQVAE GPU smoke test and throughput: stage-1 and stage-2 training steps, and sampling, in
bf16 autocast (STFT/iSTFT and the quantiser in fp32) on the `ecg` preset at 12 x 1000.

Usage: python benchmarks/gpu_timevqvae.py [--compile]            (CUDA, run by benchmarks/gpu.sh)
       python benchmarks/gpu_timevqvae.py --device cpu --tiny     (proof that it runs, anywhere)
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from synecg.constants import N_CLASSES
from synecg.generators.timevqvae.config import preset
from synecg.generators.timevqvae.sampling import sample_tokens
from synecg.generators.timevqvae.stage1 import VQVAE
from synecg.generators.timevqvae.stage2 import Priors
from synecg.generators.timevqvae.train import autocast


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def rate(fn, n_items: int, device: torch.device, iters: int) -> tuple[float, float]:
    """(items per second, seconds per call) after two warm-up calls."""
    for _ in range(2):
        fn()
    sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    sync(device)
    dt = (time.perf_counter() - t0) / iters
    return n_items / dt, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--tiny", action="store_true", help="tiny preset and batches (CPU proof run)")
    ap.add_argument("--compile", action="store_true", help="torch.compile the networks")
    ap.add_argument("--iters", type=int, default=10)
    args = ap.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        assert torch.cuda.is_available(), "no CUDA device"
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    cfg = preset("tiny" if args.tiny else "ecg")
    b1, b2, n_samples = (8, 16, 32) if args.tiny else (cfg.stage1.batch_size, cfg.stage2.batch_size, 2048)
    iters = 2 if args.tiny else args.iters
    bf16 = device.type == "cuda"
    torch.manual_seed(0)

    vq = VQVAE(12, 1000, cfg.stage1).to(device)
    fwd = torch.compile(vq) if args.compile else vq
    opt = torch.optim.AdamW(vq.parameters(), lr=1e-4)
    x = torch.randn(b1, 12, 1000, device=device)

    def stage1_step():
        with autocast(device, bf16):
            loss = vq.loss(fwd(x))["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    r1, s1 = rate(stage1_step, b1, device, iters)
    vq.eval()
    with autocast(device, bf16):
        lf, hf = vq.encode(torch.randn(b2, 12, 1000, device=device))
    priors = Priors(cfg.stage2, cfg.stage1.codebook_size, *vq.n_tokens, cfg.stage1.n_fft // 2, N_CLASSES).to(device)
    if args.compile:
        priors.lf.compile()
        priors.hf.compile()
    opt2 = torch.optim.AdamW(priors.parameters(), lr=1e-4)
    y = torch.randint(0, N_CLASSES, (b2,), device=device)
    gen = torch.Generator(device=device.type).manual_seed(0)

    def stage2_step():
        with autocast(device, bf16):
            loss = priors.loss(lf, hf, y, gen)["loss"]
        opt2.zero_grad(set_to_none=True)
        loss.backward()
        opt2.step()

    r2, s2 = rate(stage2_step, b2, device, iters)
    priors.eval()
    labels = torch.randint(0, N_CLASSES, (n_samples,), device=device)
    results = []
    for scale in (1.0, 2.0):
        scfg = replace(cfg.sampling, cfg_scale=scale)

        def sampling():
            with torch.no_grad(), autocast(device, bf16):
                a, b = sample_tokens(priors, labels, scfg, gen)
                x_lf, x_hf = vq.decode(a, b)
            return x_lf + x_hf

        out = sampling()
        assert torch.isfinite(out).all() and out.shape == (n_samples, 12, 1000)
        results.append((scale, *rate(sampling, n_samples, device, max(1, iters // 3))))

    name = torch.cuda.get_device_name(0) if device.type == "cuda" else "cpu"
    print(f"TimeVQVAE on {name}, torch {torch.__version__}, preset {'tiny' if args.tiny else 'ecg'}, "
          f"tokens LF/HF {vq.n_tokens}, bf16 {bf16}, compile {args.compile}")
    print("| measure | batch | items/s | s/call |")
    print("| --- | --- | --- | --- |")
    print(f"| stage-1 training step | {b1} | {r1:.0f} | {s1:.4f} |")
    print(f"| stage-2 training step (cached tokens) | {b2} | {r2:.0f} | {s2:.4f} |")
    for scale, r, s in results:
        print(f"| sampling, {cfg.sampling.steps_lf}+{cfg.sampling.steps_hf} steps, cfg {scale} | {n_samples} | {r:.0f} | {s:.4f} |")
    if device.type == "cuda":
        print(f"peak GPU memory {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB")


if __name__ == "__main__":
    main()

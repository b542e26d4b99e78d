"""Time-Diffusion network on CPU: ours vs a plain diffusers UNet1DModel of the same size, same weights.

Both compute the same function (tests/test_timediffusion.py checks it): the plain model is the
authors' construction, diffusers' UNet1DModel with the class-embedding channels appended to the input;
ours swaps its resamplers and attention for depthwise convolutions and fused attention. Rows: a
training step (forward + backward of the x0 MSE) and a sampling-style forward (no grad). Timings
are interleaved (ours, plain, ours, plain, ...) and the median is kept, so load from other processes
hits both alike; by default the clock is the process's CPU time on one thread, which a busy shared
machine disturbs far less than wall time.

    PYTHONPATH=src python benchmarks/timediffusion_speed.py [--presets tiny 124-r2-a1] [--batch 8] [--threads 1] [--clock cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from synecg.generators.timediffusion import TimeDiffusionUNet, diffusers_unet, preset


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
clock = CLOCKS["cpu"]


def _median_seconds(fns: dict, repeats: int, inner: int) -> dict[str, float]:
    for fn in fns.values():  # warm-up (allocator, oneDNN primitives)
        fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = clock()
            for _ in range(inner):
                fn()
            times[name].append((clock() - start) / inner)
    return {name: statistics.median(ts) for name, ts in times.items()}


def compare(name: str, batch: int, repeats: int, inner: int) -> list[tuple]:
    cfg = preset(name)
    ours = TimeDiffusionUNet(cfg, seed=0)
    plain = diffusers_unet(cfg)
    plain.load_state_dict(ours.unet.state_dict())
    plain_embedding = torch.nn.Embedding(cfg.n_classes, cfg.class_embed_dim)
    plain_embedding.load_state_dict(ours.class_embedding.state_dict())
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, cfg.n_leads, cfg.signal_length, generator=gen)
    t = torch.randint(0, 1000, (batch,), generator=gen)
    y = torch.randint(0, cfg.n_classes, (batch,), generator=gen)

    def plain_forward():  # what the authors' CondUNet1DModel does around UNet1DModel
        full = cfg.padded_length
        h = F.pad(x, (0, full - cfg.signal_length))
        cond = plain_embedding(y)[:, :, None].expand(-1, -1, full)
        return plain(torch.cat([h, cond], dim=1), t).sample[:, :, : cfg.signal_length]

    def train(forward, params):
        def step():
            loss = F.mse_loss(forward(), x)
            loss.backward()
            for p in params:
                p.grad = None

        return step

    train_times = _median_seconds(
        {
            "ours": train(lambda: ours(x, t, y), list(ours.parameters())),
            "plain": train(plain_forward, [*plain.parameters(), *plain_embedding.parameters()]),
        },
        repeats,
        inner,
    )
    with torch.no_grad():
        sample_times = _median_seconds({"ours": lambda: ours(x, t, y), "plain": plain_forward}, repeats, inner)
    return [
        (name, "train fwd+bwd", batch, train_times["ours"], train_times["plain"]),
        (name, "sample fwd", batch, sample_times["ours"], sample_times["plain"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["tiny", "124-r2-a1"])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--inner", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--clock", choices=sorted(CLOCKS), default="cpu", help="cpu: process CPU time, robust to other jobs' load"
    )
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    rows = [row for name in args.presets for row in compare(name, args.batch, args.repeats, args.inner)]
    print(
        f"torch {torch.__version__}, {args.threads} thread(s), {args.clock} time, "
        f"median of {args.repeats} x {args.inner} calls, L=1000"
    )
    print(f"{'preset':<12} {'pass':<14} {'batch':>5} {'ours ms':>9} {'diffusers ms':>13} {'ratio':>6}")
    for name, what, batch, ours_s, plain_s in rows:
        print(f"{name:<12} {what:<14} {batch:>5} {ours_s * 1e3:>9.1f} {plain_s * 1e3:>13.1f} {ours_s / plain_s:>6.2f}")


if __name__ == "__main__":
    main()

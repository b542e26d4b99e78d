"""CPU speed of the diffusion generators against reference implementations, and DDIM vs full sampling.

Prints one table. Rows:

1. DiffWave training step (forward + backward) at one small identical config: ours vs the residual
   network of the published ``diffwave`` package (lmnt, 0.1.7; ``pip install --no-deps
   diffwave==0.1.7``) adapted to 12 input/output channels here as a harness only (its class
   conditioner is the class embedding broadcast over time, fed to its per-layer conditioner conv).
2. Time-Diffusion training step: our ``TimeDiffusionUNet`` vs a plain diffusers ``UNet1DModel`` of the
   same size (the class embedding concatenated by hand).
3. Sampling: a tiny DiffWave trained briefly on real PTB-XL records (the shared subset), then DDIM 50
   vs the full ancestral sampler (T = 200): wall time, and as a fidelity proxy the mean over classes
   of the L2 distance of the per-class mean waveform and of the mean log-PSD to the real records.

Ratios are ours / reference (< 1: ours is faster).

Run: PYTHONPATH=src [SYNECG_SHARED_DATA=../shared/data] python benchmarks/diffusion_speed.py [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from synecg.constants import CLASS_INDEX
from synecg.generators.diffusion_train import TrainSettings, sample_diffusion, train_diffusion
from synecg.generators.diffwave import DiffWave, DiffWaveConfig
from synecg.generators.timediffusion import TimeDiffusionUNet, diffusers_unet, preset

# the real-record subset, as in tests/conftest.py: $SYNECG_SHARED_DATA, else ../shared/data beside the checkout
SHARED = Path(os.environ.get("SYNECG_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def step_time(fn, repeats: int) -> float:
    """Median CPU seconds of fn() (one warm-up call). CPU time, not wall time: on a shared machine
    the wall clock measures the neighbours; with one thread, CPU time is the work done."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return statistics.median(times)


class LmntHarness(nn.Module):
    """lmnt's DiffWave residual stack (diffwave.model, 0.1.7) with 12-channel input/output projections."""

    def __init__(self, cfg: DiffWaveConfig, max_steps: int):
        super().__init__()
        from diffwave import model as lm

        self.inp = lm.Conv1d(12, cfg.channels, 1)
        self.embedding = lm.DiffusionEmbedding(max_steps)
        self.classes = nn.Embedding(cfg.n_classes, cfg.class_embed_dim)
        self.layers = nn.ModuleList(
            lm.ResidualBlock(cfg.class_embed_dim, cfg.channels, 2 ** (i % cfg.dilation_cycle)) for i in range(cfg.layers)
        )
        self.skip = lm.Conv1d(cfg.channels, cfg.channels, 1)
        self.out = lm.Conv1d(cfg.channels, 12, 1)

    def forward(self, x, t, y):
        h = torch.relu(self.inp(x))
        step = self.embedding(t)
        cond = self.classes(y)[:, :, None].expand(-1, -1, x.shape[-1])
        skips = 0
        for layer in self.layers:
            h, skip = layer(h, cond, step)
            skips = skips + skip
        return self.out(torch.relu(self.skip(skips / len(self.layers) ** 0.5)))


def train_step(net, x, t, y):
    def run():
        net.zero_grad(set_to_none=True)
        net(x, t, y).pow(2).mean().backward()

    return run


def diffwave_rows(args) -> list[tuple[str, float, float]]:
    cfg = DiffWaveConfig(layers=12, channels=64, dilation_cycle=6, step_embed_dim=128, step_hidden=512, class_embed_dim=128)
    torch.manual_seed(0)
    ours, ref = DiffWave(cfg), LmntHarness(cfg, 200)
    x = torch.randn(args.batch, 12, 1000)
    t = torch.randint(0, 200, (args.batch,))
    y = torch.randint(0, 7, (args.batch,))
    a = step_time(train_step(ours, x, t, y), args.repeats)
    b = step_time(train_step(ref, x, t, y), args.repeats)
    return [(f"DiffWave fwd+bwd, 12x64 cycle 6, batch {args.batch}, L 1000 (vs lmnt diffwave 0.1.7)", a, b)]


def timediffusion_rows(args) -> list[tuple[str, float, float]]:
    cfg = preset("124-r2-a1")
    torch.manual_seed(0)
    ours = TimeDiffusionUNet(cfg)
    plain = diffusers_unet(cfg)
    embed = nn.Embedding(cfg.n_classes, cfg.class_embed_dim)

    def plain_forward(x, t, y):
        h = torch.nn.functional.pad(x, (0, cfg.padded_length - x.shape[-1]))
        h = torch.cat([h, embed(y)[:, :, None].expand(-1, -1, h.shape[-1])], dim=1)
        return plain(h, t).sample[:, :, : x.shape[-1]]

    x = torch.randn(args.batch, 12, 1000)
    t = torch.randint(0, 1000, (args.batch,))
    y = torch.randint(0, 7, (args.batch,))
    a = step_time(train_step(ours, x, t, y), args.repeats)

    def run_plain():
        plain.zero_grad(set_to_none=True)
        plain_forward(x, t, y).pow(2).mean().backward()

    b = step_time(run_plain, args.repeats)
    return [(f"Time-Diffusion fwd+bwd, 124-r2-a1, batch {args.batch}, L 1000 (vs diffusers UNet1DModel)", a, b)]


def real_ptbxl(max_records: int = 300) -> tuple[np.ndarray, np.ndarray]:
    """(N, 12, 1000) mV and class indices of the shared PTB-XL 100 Hz records with a study rhythm."""
    import pandas as pd
    import wfdb

    index = pd.read_csv(SHARED / "subset_index.csv")
    rows = index[(index.dataset == "ptbxl") & (index.fs == 100) & index.rhythm.isin(list(CLASS_INDEX))].head(max_records)
    x = np.stack([wfdb.rdrecord(str(SHARED / p)).p_signal.T.astype(np.float32) for p in rows.path])
    return np.nan_to_num(x), rows.rhythm.map(CLASS_INDEX).to_numpy()


def log_psd(x: np.ndarray) -> np.ndarray:
    from scipy.signal import welch

    return np.log10(welch(x, fs=100, nperseg=256, axis=-1)[1] + 1e-8).mean(axis=0)


def fidelity(x_syn, y_syn, x_real, y_real) -> tuple[float, float]:
    """Mean over classes of ||mean waveform difference|| (mV, RMS) and ||mean log-PSD difference|| (RMS)."""
    wave, psd = [], []
    for c in np.unique(y_syn):
        r, s = x_real[y_real == c], x_syn[y_syn == c]
        wave.append(np.sqrt(np.mean((r.mean(0) - s.mean(0)) ** 2)))
        psd.append(np.sqrt(np.mean((log_psd(r) - log_psd(s)) ** 2)))
    return float(np.mean(wave)), float(np.mean(psd))


def sampler_rows(args, tmp: Path) -> list[tuple[str, float, float]]:
    x, y = real_ptbxl()
    settings = TrainSettings(preset="tiny", steps=args.train_steps, batch_size=16, lr=2e-3, ema_decay=0.99,
                             log_every=10**9, checkpoint_every=10**9, val_every=0)
    payload = train_diffusion("diffwave", settings, x, y, None, None, tmp, seed=0)
    classes = np.unique(y)
    labels = np.repeat(classes, args.per_class)
    out = {}
    for name, sampler, steps in (("ddim50", "ddim", 50), ("ddpm", "ddpm", None)):
        t0 = time.process_time()
        samples = sample_diffusion(payload, labels, seed=1, sampler=sampler, steps=steps, batch_size=len(labels))
        out[name] = (time.process_time() - t0, *fidelity(samples, labels, x, y))
    a, b = out["ddim50"], out["ddpm"]
    return [
        (f"sampling CPU time, {len(labels)} signals (DDIM 50 vs DDPM 200)", a[0], b[0]),
        ("per-class mean-waveform RMS distance to real, mV (DDIM 50 vs DDPM 200)", a[1], b[1]),
        ("per-class mean log-PSD RMS distance to real (DDIM 50 vs DDPM 200)", a[2], b[2]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--train-steps", type=int, default=400)
    parser.add_argument("--per-class", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    import tempfile

    rows = diffwave_rows(args) + timediffusion_rows(args)
    with tempfile.TemporaryDirectory() as tmp:
        rows += sampler_rows(args, Path(tmp))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'ours/DDIM':>10}  {'reference':>10}  {'ratio':>6}")
    for name, a, b in rows:
        print(f"{name:<{width}}  {a:>10.4g}  {b:>10.4g}  {a / b:>6.2f}")
    print(f"torch {torch.__version__}, {args.threads} thread(s); CPU seconds (steps: median of {args.repeats})")


if __name__ == "__main__":
    main()

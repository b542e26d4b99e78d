"""Time-Diffusion network throughput in bf16 autocast: training steps and sampling-style forwards.

Trains the paper preset for a few hundred AdamW steps (x0 MSE, gradient clipping 1.0, batch 128 as
the authors) and runs denoiser forwards at the authors' sampling batch of 1024, for our network and
for the plain diffusers UNet1DModel with the same weights (the authors' construction). Prints
samples/s and what that means for a 21,504-record bank (the paper's size) with 1000 DDPM steps or
50 DDIM steps. Inputs are random tensors made on the device once: this measures the network, not
the data pipeline or the noise schedule.

    python benchmarks/gpu_timediffusion.py                      # CUDA, both paper presets
    python benchmarks/gpu_timediffusion.py --device cpu --tiny  # smoke run anywhere
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from synecg.generators.timediffusion import TimeDiffusionUNet, count_parameters, diffusers_unet, preset

BANK_SIZE = 21_504  # the authors' 21 batches of 1024


class PlainConditional(torch.nn.Module):
    """The authors' CondUNet1DModel around a plain diffusers UNet1DModel, for comparison."""

    def __init__(self, ours: TimeDiffusionUNet):
        super().__init__()
        self.cfg = ours.cfg
        self.embedding = torch.nn.Embedding(self.cfg.n_classes, self.cfg.class_embed_dim)
        self.embedding.load_state_dict(ours.class_embedding.state_dict())
        self.unet = diffusers_unet(self.cfg)
        self.unet.load_state_dict(ours.unet.state_dict())

    def forward(self, x, t, y):
        full, length = self.cfg.padded_length, self.cfg.signal_length
        cond = self.embedding(y)[:, :, None].expand(-1, -1, full)
        h = torch.cat([F.pad(x, (0, full - length)), cond.to(x.dtype)], dim=1)
        return self.unet(h, t).sample[:, :, :length]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _inputs(cfg, batch: int, device: torch.device):
    gen = torch.Generator(device=device).manual_seed(0)
    x = torch.randn(batch, cfg.n_leads, cfg.signal_length, generator=gen, device=device)
    t = torch.randint(0, 1000, (batch,), generator=gen, device=device)
    y = torch.randint(0, cfg.n_classes, (batch,), generator=gen, device=device)
    return x, t, y


def train_rate(model, cfg, batch: int, steps: int, warmup: int, device: torch.device) -> float:
    """Training samples per second: forward, x0 MSE in fp32, backward, clip 1.0, AdamW step."""
    x0, t, y = _inputs(cfg, batch, device)
    x_t = x0 + torch.randn_like(x0)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.95, 0.999), weight_decay=1e-6)

    def step():
        with torch.autocast(device.type, dtype=torch.bfloat16):
            pred = model(x_t, t, y)
        loss = F.mse_loss(pred.float(), x0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    _sync(device)
    elapsed = time.perf_counter() - start
    if not torch.isfinite(loss):
        raise RuntimeError(f"training loss became {loss.item()}")
    return batch * steps / elapsed


@torch.inference_mode()
def sample_rate(model, cfg, batch: int, steps: int, warmup: int, device: torch.device) -> float:
    """Denoiser evaluations per second at the sampling batch (one evaluation = one sample, one step)."""
    x, t, y = _inputs(cfg, batch, device)
    with torch.autocast(device.type, dtype=torch.bfloat16):
        for _ in range(warmup):
            x = model(x, t, y).float()
        _sync(device)
        start = time.perf_counter()
        for _ in range(steps):
            x = model(x, t, y).float()  # feed the output back, as a sampler would
        _sync(device)
    if not torch.isfinite(x).all():
        raise RuntimeError("sampling-style forward produced non-finite values")
    return batch * steps / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--tiny", action="store_true", help="tiny preset, small batches, few steps (smoke run)")
    parser.add_argument("--presets", nargs="+", default=["124-r2-a1", "1248-r3-a2"])
    parser.add_argument("--train-batch", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=300)
    parser.add_argument("--sample-batch", type=int, default=1024)
    parser.add_argument("--sample-steps", type=int, default=50)
    parser.add_argument("--compile", action="store_true", help="also time torch.compile(ours)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("no CUDA device; use --device cpu --tiny for a smoke run")
        torch.backends.cudnn.benchmark = True
        print(f"torch {torch.__version__}, {torch.cuda.get_device_name(device)}, bf16 autocast")
    else:
        print(f"torch {torch.__version__}, {device}, bf16 autocast")
    if args.tiny:
        args.presets, args.train_batch, args.train_steps = ["tiny"], 8, 3
        args.sample_batch, args.sample_steps = 16, 3
    warmup = 2 if args.tiny else 10

    print(
        f"{'preset':<11} {'model':<10} {'params':>9} {'train/s':>9} {'fwd/s':>10} "
        f"{'bank 1000 DDPM':>15} {'bank 50 DDIM':>13}"
    )
    for name in args.presets:
        cfg = preset(name)
        ours = TimeDiffusionUNet(cfg, seed=0).to(device)
        models = {"ours": ours, "diffusers": PlainConditional(ours).to(device)}
        if args.compile:
            models["ours+comp"] = torch.compile(TimeDiffusionUNet(cfg, seed=0).to(device))
        for label, model in models.items():
            train = train_rate(model, cfg, args.train_batch, args.train_steps, warmup, device)
            fwd = sample_rate(model, cfg, args.sample_batch, args.sample_steps, warmup, device)
            ddpm_h, ddim_min = BANK_SIZE * 1000 / fwd / 3600, BANK_SIZE * 50 / fwd / 60
            print(
                f"{name:<11} {label:<10} {count_parameters(model):>9,} {train:>9.0f} {fwd:>10.0f} "
                f"{ddpm_h:>13.2f} h {ddim_min:>11.1f} m"
            )
        print(f"  (train batch {args.train_batch} x {args.train_steps} steps; forwards at batch {args.sample_batch})")
        del models, ours
        if device.type == "cuda":
            torch.cuda.empty_cache()


if __name__ == "__main__":
    main()

"""Our TimeVQVAE vs the reference package `timevqvae` (ML4ITS, v1.0.1) on CPU, same small config.

Measures, side by side in one process: a stage-1 training step (forward, loss, backward, AdamW),
a stage-2 training step (ours: cached tokens; reference: re-encodes the batch through the frozen
stage 1 every step, as its MaskGIT.forward does), and sampling (LF + HF iterative decoding and
decoding tokens to signals). Prints one table with the ratios (reference time / our time).

The reference is a benchmark harness only, never a dependency. It declares Python >= 3.12 but runs
on 3.11: pip install --no-deps --ignore-requires-python timevqvae (it needs einops, present).

Usage: PYTHONPATH=src python benchmarks/timevqvae_speed.py [--threads 1] [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

C, L, N_CLASSES = 12, 1000, 7
SMALL = dict(n_fft=4, init_dim=8, hid_dim=32, n_res_blocks=1, width_lf=8, width_hf=32, codebook_size=64,
             codebook_dim=8)
PRIOR = dict(hidden=64, layers=2, heads=2, ff_mult=1)


def interleaved_min(fns: dict, repeats: int) -> dict:
    """Best-of-``repeats`` time of each function, calls alternating between them, so that load from
    other processes on a shared machine hits both sides alike (the minimum is the least disturbed)."""
    for fn in fns.values():
        fn()  # warm-up (k-means init, allocator)
    best = {k: float("inf") for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t0)
    return best


def ours(batch: int, n_samples: int, steps: int) -> dict:
    from synecg.generators.timevqvae.config import PriorConfig, SamplingConfig, Stage1Config, Stage2Config
    from synecg.generators.timevqvae.sampling import sample_tokens
    from synecg.generators.timevqvae.stage1 import VQVAE
    from synecg.generators.timevqvae.stage2 import Priors

    torch.manual_seed(0)
    vq = VQVAE(C, L, Stage1Config(**SMALL))
    opt = torch.optim.AdamW(vq.parameters(), lr=1e-3)
    x = torch.randn(batch, C, L)

    def stage1_step():
        loss = vq.loss(vq(x))["loss"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    stage1_step()  # k-means init, then freeze stage 1 as after training
    vq.eval()
    lf, hf = vq.encode(x)  # done once per training set in our workflow (tokenize_timevqvae)
    prior = PriorConfig(**PRIOR, dropout=0.3)
    priors = Priors(Stage2Config(lf=prior, hf=prior), SMALL["codebook_size"], *vq.n_tokens, SMALL["n_fft"] // 2, N_CLASSES)
    opt2 = torch.optim.AdamW(priors.parameters(), lr=1e-3)
    y = torch.randint(0, N_CLASSES, (batch,))
    gen = torch.Generator().manual_seed(0)

    def stage2_step():
        loss = priors.loss(lf, hf, y, gen)["loss"]
        opt2.zero_grad(set_to_none=True)
        loss.backward()
        opt2.step()

    priors.eval()
    cfg = SamplingConfig(steps_lf=steps, steps_hf=steps, temperature_lf=4.0, temperature_hf=4.0)
    labels = torch.randint(0, N_CLASSES, (n_samples,))

    def sampling():
        a, b = sample_tokens(priors, labels, cfg, gen)
        vq.decode(a, b)

    def stage1_train_step():
        vq.train()
        stage1_step()
        vq.eval()

    def stage2_train_step():
        priors.train()
        stage2_step()
        priors.eval()

    return {"stage1": stage1_train_step, "stage2": stage2_train_step, "sample": sampling, "tokens": vq.n_tokens}


def reference(batch: int, n_samples: int, steps: int) -> dict:
    from timevqvae.maskgit import MaskGIT, PriorModelConfig
    from timevqvae.vqvae import VQVAE

    torch.manual_seed(0)
    vq = VQVAE(C, L, n_fft=SMALL["n_fft"], init_dim=SMALL["init_dim"], hid_dim=SMALL["hid_dim"],
               downsampled_width_l=SMALL["width_lf"], downsampled_width_h=SMALL["width_hf"],
               encoder_n_resnet_blocks=SMALL["n_res_blocks"], decoder_n_resnet_blocks=SMALL["n_res_blocks"],
               codebook_size_l=SMALL["codebook_size"], codebook_size_h=SMALL["codebook_size"], kmeans_init=True,
               codebook_dim=SMALL["codebook_dim"])
    opt = torch.optim.AdamW(vq.parameters(), lr=1e-3)
    x = torch.randn(batch, C, L)

    def stage1_step():
        out = vq(x)
        loss = sum(out.recons_loss.values()) + sum(v["loss"] if isinstance(v, dict) else v for v in out.vq_losses.values())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    stage1_step()
    vq.eval()
    prior = PriorModelConfig(hidden_dim=PRIOR["hidden"], n_layers=PRIOR["layers"], heads=PRIOR["heads"],
                             ff_mult=PRIOR["ff_mult"], use_rmsnorm=True, p_unconditional=0.2)
    mg = MaskGIT(vq, lf_choice_temperature=4.0, hf_choice_temperature=4.0, lf_num_sampling_steps=steps,
                 hf_num_sampling_steps=steps, lf_codebook_size=SMALL["codebook_size"],
                 hf_codebook_size=SMALL["codebook_size"], transformer_embedding_dim=PRIOR["hidden"],
                 lf_prior_model_config=prior, hf_prior_model_config=prior, classifier_free_guidance_scale=1.0,
                 n_classes=N_CLASSES)
    params = [p for p in mg.parameters() if p.requires_grad]
    opt2 = torch.optim.AdamW(params, lr=1e-3)
    y = torch.randint(0, N_CLASSES, (batch, 1))

    def stage2_step():
        mg.train()
        mg.vqvae.eval()
        loss = mg(x, y).total_mask_prediction_loss
        opt2.zero_grad(set_to_none=True)
        loss.backward()
        opt2.step()

    mg.eval()
    labels = torch.randint(0, N_CLASSES, (n_samples, 1))

    def sampling():
        with torch.no_grad():
            a, b = mg.iterative_decoding(num_samples=n_samples, class_condition=labels)
            mg.decode_token_ind_to_timeseries(a, "lf") + mg.decode_token_ind_to_timeseries(b, "hf")

    def stage1_train_step():
        vq.train()
        stage1_step()
        vq.eval()

    def stage2_train_step():
        stage2_step()
        mg.eval()

    return {"stage1": stage1_train_step, "stage2": stage2_train_step, "sample": sampling,
            "tokens": (mg.num_tokens_l, mg.num_tokens_h)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--samples", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10, help="decoding steps per branch")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    fa = ours(args.batch, args.samples, args.steps)
    try:
        fb = reference(args.batch, args.samples, args.steps)
    except ImportError as err:
        raise SystemExit(f"reference package not importable ({err}); "
                         "pip install --no-deps --ignore-requires-python timevqvae")
    a, b = {"tokens": fa["tokens"]}, {"tokens": fb["tokens"]}
    for key in ("stage1", "stage2", "sample"):
        t = interleaved_min({"ours": fa[key], "ref": fb[key]}, args.repeats)
        a[key], b[key] = t["ours"], t["ref"]
    print(f"TimeVQVAE CPU speed (best of {args.repeats}, interleaved), torch {torch.__version__}, {args.threads} thread(s), batch {args.batch}, "
          f"{args.samples} samples x {args.steps}+{args.steps} decoding steps, 12 x {L} input")
    print(f"tokens (LF, HF): ours {a['tokens']}, reference {b['tokens']}")
    print(f"| measure | ours (s) | timevqvae 1.0.1 (s) | ratio (reference / ours) |")
    print(f"| --- | --- | --- | --- |")
    for key, name in (("stage1", "stage-1 training step"), ("stage2", "stage-2 training step"),
                      ("sample", f"sampling {args.samples} signals")):
        print(f"| {name} | {a[key]:.4f} | {b[key]:.4f} | {b[key] / a[key]:.2f}x |")


if __name__ == "__main__":
    main()
